package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/timing"
)

// ModelCmd inspects and resets the learned retry-timing model.
type ModelCmd struct {
	Show  ModelShowCmd  `cmd:"" help:"Show what the retry-timing model has learned."`
	Reset ModelResetCmd `cmd:"" help:"Forget what the retry-timing model learned; every process starts again from the priors."`
}

// ModelShowCmd prints the model's learned features.
type ModelShowCmd struct {
	Top       int    `default:"40" help:"Show at most this many features, most observed first."`
	Filter    string `help:"Show only the features whose name contains this, e.g. funds| or since_15th."`
	Countries int    `default:"10" help:"Show the learned pay schedules of at most this many countries, most evidence first."`
}

// Run prints the model.
func (c *ModelShowCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	var m *timing.Model
	err := withExisting(ctx, g, func(b *backend) (err error) {
		m, err = engine.LoadModel(ctx, b.store)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "retry-timing model: %d outcomes learned (Bayesian probit, beta %.2f, prior variance %.3f)\n", m.Updates, m.Beta, m.PriorVar)
	if m.Updates == 0 {
		fmt.Fprintln(out, "nothing learned yet: decisions use the public priors (docs/retry-timing.md, Cold start), or those of the policy's retry.model.priors, and no first retry goes later than the fixed schedule's")
		return nil
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "feature\toutcomes\tweight\t± sd\tp alone")
	shown := 0
	for _, f := range m.Learned() {
		if c.Filter != "" && !strings.Contains(f, c.Filter) {
			continue
		}
		if shown >= c.Top {
			break
		}
		w := m.Weight(f)
		fmt.Fprintf(tw, "%s\t%d\t%+.3f\t%.3f\t%.2f\n", f, w.N, w.Mean, math.Sqrt(w.Var), m.Predict([]string{f}))
		shown++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return showPaySchedules(out, m, c.Countries)
}

// showPaySchedules prints the pay schedules the model believes in most, for all countries and
// the countries with the most evidence.
func showPaySchedules(out io.Writer, m *timing.Model, countries int) error {
	names, cases := m.PayCountries()
	if len(names) == 0 {
		return nil
	}
	fmt.Fprintln(out, "\npay schedules of customers short of funds (learned from the outcomes of their charges):")
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "country\tcases\tmost likely schedules")
	for i, c := range names {
		if i > countries {
			break
		}
		var top []string
		for _, s := range m.TopSchedules(c, 4) {
			top = append(top, fmt.Sprintf("%s %.0f%%", s.Schedule, 100*s.Weight))
		}
		if c == "" {
			c = "all"
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\n", c, cases[i], strings.Join(top, ", "))
	}
	return tw.Flush()
}

// ModelResetCmd resets the model.
type ModelResetCmd struct {
	Yes bool `help:"Confirm: the learned state is forgotten by every process sharing the database."`
}

// Run records a reset.
func (c *ModelResetCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	if !c.Yes {
		return fmt.Errorf("model reset forgets everything the model learned: run it again with --yes")
	}
	if err := withExisting(ctx, g, func(b *backend) error { return engine.ResetModel(ctx, b.store, time.Now()) }); err != nil {
		return err
	}
	fmt.Fprintln(out, "retry-timing model reset: decisions start again from the priors")
	return nil
}
