package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/stripeapi"
)

// BackfillCmd imports open, failed invoices that existed before recoup was installed.
type BackfillCmd struct {
	StripeFlags
	Since      string `name:"since" default:"30d" help:"How far back to look, by invoice creation: 30d, 72h, ..."`
	PolicyFile string `name:"policy" env:"RECOUP_POLICY" type:"path" help:"Policy file (YAML) the new cases are planned with; the built-in default when empty."`
	Templates  string `name:"templates" env:"RECOUP_TEMPLATES" type:"path" help:"Directory of template overrides (docs/messages.md): the policy's campaign may name its templates."`
}

// Run lists the account's open invoices whose payment failed and opens or updates a case for
// each, exactly as a webhook would. Re-running it changes nothing already imported.
func (c *BackfillCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	if err := c.StripeFlags.validate(); err != nil {
		return err
	}
	since, err := parsePeriod(c.Since)
	if err != nil {
		return err
	}
	pol, err := loadPolicy(c.PolicyFile, c.Templates)
	if err != nil {
		return err
	}
	log := g.Logger()
	gw, err := stripeapi.New(stripeapi.Config{SecretKey: c.SecretKey, APIBase: c.APIBase, RateLimit: c.RateLimit, Logger: log})
	if err != nil {
		return err
	}
	b, err := openBackend(ctx, g.DatabaseURL, jobs.Config{Clock: realClock{}, Logger: log})
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.Migrate(ctx); err != nil {
		return err
	}
	eng := engine.New(engine.Config{Store: b.store, Gateway: gw, Policy: pol, Logger: log})
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription("invoices"),
		progressbar.OptionShowCount(), progressbar.OptionSpinnerType(14), progressbar.OptionClearOnFinish())
	var seen, opened int
	err = gw.FailedInvoices(ctx, time.Now().Add(-since), func(inv recoup.Invoice) error {
		seen++
		_ = bar.Add(1)
		res, err := eng.Observe(ctx, time.Now(), engine.Observation{Invoice: inv, Source: engine.Source{EventType: "backfill"}})
		if err != nil {
			return err
		}
		if res.CaseID != 0 {
			opened++
		}
		return nil
	})
	_ = bar.Finish()
	if err != nil {
		return fmt.Errorf("backfill after %d invoices: %w", seen, err)
	}
	fmt.Fprintf(out, "backfill: %d failed open invoice(s) since %s; %d case(s) open or updated; run `recoup serve` to work them\n",
		seen, time.Now().Add(-since).Format(time.DateOnly), opened)
	return nil
}
