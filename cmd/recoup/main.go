// Command recoup recovers failed Stripe subscription payments: it takes Stripe's webhooks, keeps
// a recovery case per unpaid invoice, retries the charge on the policy's schedule and closes the
// case when the money arrives. Configuration is parsed once here and passed explicitly.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/recoup-hq/recoup/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Exit); err != nil {
		fmt.Fprintln(os.Stderr, "recoup:", err)
		os.Exit(1)
	}
}

// run parses args (flags and environment) and runs the chosen command.
func run(ctx context.Context, args []string, stdout io.Writer, exit func(int)) error {
	var cli CLI
	if len(args) == 0 {
		args = []string{"--help"} // no command: say what there is
	}
	parser, err := kong.New(&cli,
		kong.Name("recoup"),
		kong.Description("Recover failed Stripe subscription payments. Every flag can also be set by the environment variable shown beside it."),
		kong.UsageOnError(),
		kong.Help(helpPrinter),
		kong.Writers(stdout, os.Stderr),
		kong.Exit(exit),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.BindTo(stdout, (*io.Writer)(nil)),
		kong.Vars{"worlds": strings.Join(sim.Worlds(), ", ")},
	)
	if err != nil {
		return err
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		return err
	}
	if err := loadSecrets(&cli, os.Getenv); err != nil {
		return err
	}
	if err := loadDatabaseURL(&cli.Globals, args, os.Getenv); err != nil {
		return err
	}
	return kctx.Run(&cli.Globals)
}
