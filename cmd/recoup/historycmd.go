package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/history"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi"
)

// HistoryCmd learns from the account's past.
type HistoryCmd struct {
	Import HistoryImportCmd `cmd:"" help:"Import the failed invoices and the payment attempts of the period; the timing model learns from them (docs/history.md)."`
	Report HistoryReportCmd `cmd:"" help:"Report what happened to the imported failed payments: recovery by decline, retry, hour, weekday and days since the failure; money lost; network rule breaches (docs/history.md)."`
}

// HistoryImportCmd imports the account's history.
type HistoryImportCmd struct {
	StripeFlags
	Since      string `name:"since" default:"365d" help:"How far back to read, by creation: 365d, 90d, ... (at most 400d)."`
	PolicyFile string `name:"policy" env:"RECOUP_POLICY" type:"path" help:"Policy file (YAML): its time zone is the customers' when their card names no country."`
	Templates  string `name:"templates" env:"RECOUP_TEMPLATES" type:"path" help:"Directory of template overrides the policy may name."`
}

// Run imports the history since the period's start, resuming an import that stopped.
func (c *HistoryImportCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	if err := c.StripeFlags.validate(); err != nil {
		return err
	}
	period, err := parsePeriod(c.Since)
	if err != nil {
		return err
	}
	pol, err := loadPolicy(c.PolicyFile, c.Templates)
	if err != nil {
		return err
	}
	log := g.Logger()
	// The same client-side budget as serve (--stripe-rate-limit), retries included.
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
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	im := &history.Importer{Store: b.store, Stripe: gw, Policy: pol, Progress: func(p history.Progress) {
		bar.Describe(progressWords(p))
		_ = bar.Add(1)
	}}
	res, err := im.Run(ctx, time.Now().Add(-period).Truncate(time.Second))
	_ = bar.Finish()
	if err != nil {
		return importError(err, res)
	}
	if res.Resumed {
		fmt.Fprintf(out, "history import: resumed the import of everything since %s\n", res.Since.Format(time.DateOnly))
	}
	fmt.Fprintf(out, "history import: %s since %s; the timing model learned %s outcome(s) of retries\n",
		importedWords(res), res.Since.Format(time.DateOnly), grouped(res.Observations))
	return nil
}

// parsePeriod reads --since: a duration such as 365d, at most 400d.
func parsePeriod(since string) (time.Duration, error) {
	period, err := policy.ParseDuration(since)
	if err != nil || period <= 0 || period > 400*24*time.Hour {
		return 0, fmt.Errorf("--since %q: give a duration such as 365d or 90d (at most 400d)", since)
	}
	return period, nil
}

// importError says what stopped the import, and that running it again resumes it.
func importError(err error, p history.Progress) error {
	switch recoup.ErrorCode(err) {
	case recoup.EUNAUTHORIZED:
		return fmt.Errorf("history import: Stripe refused the API key (STRIPE_SECRET_KEY): check it is the account's live or test secret key, or a restricted key that may read charges and invoices: %w", err)
	case recoup.EUNAVAILABLE:
		return fmt.Errorf("history import stopped after %s: Stripe did not answer (down or timing out); run it again later, it resumes where it stopped: %w", importedWords(p), err)
	}
	return fmt.Errorf("history import stopped after %s; run it again, it resumes where it stopped: %w", importedWords(p), err)
}

func progressWords(p history.Progress) string {
	switch p.Phase {
	case recoup.ImportCharges:
		return "reading charges: " + grouped(p.Charges) + " stored"
	case recoup.ImportInvoices:
		return "reading invoices: " + importedWords(p)
	case recoup.ImportLearn:
		return "learning: " + grouped(p.Observations) + " outcomes"
	}
	return importedWords(p)
}

func importedWords(p history.Progress) string {
	return "imported " + grouped(p.Invoices) + " invoices, " + grouped(p.Charges) + " charges"
}

// grouped writes n with thousands separators: 1,234.
func grouped(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + grouped(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
