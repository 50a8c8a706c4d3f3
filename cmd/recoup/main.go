// Command recoup recovers failed Stripe subscription payments: it takes Stripe's webhooks, keeps
// a recovery case per unpaid invoice, retries the charge on the policy's schedule and closes the
// case when the money arrives. Configuration is parsed once here and passed explicitly.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

func main() {
	var cli CLI
	kctx := kong.Parse(&cli,
		kong.Name("recoup"),
		kong.Description("Recover failed Stripe subscription payments. Every flag can also be set by the environment variable shown beside it."),
		kong.UsageOnError(),
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := kctx.Run(ctx, &cli.Globals); err != nil {
		fmt.Fprintln(os.Stderr, "recoup:", err)
		os.Exit(1)
	}
}
