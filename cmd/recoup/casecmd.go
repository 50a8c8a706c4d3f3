package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/stripeapi"
)

// CaseCmd groups the operator's actions on one case (the dashboard offers the same).
type CaseCmd struct {
	Approve CaseApproveCmd `cmd:"" help:"Approve the final action of a case that waits for manual review; a running recoup serve runs it."`
	Plan    CasePlanCmd    `cmd:"" help:"Replace a case's unpaid invoice by the payment plan its policy segment allows; run it again to finish a plan that stopped half-way."`
}

// caseFlags are what both case commands need: who acts, on which case, with which policy.
type caseFlags struct {
	StripeFlags
	Case       int64  `arg:"" help:"The case ID."`
	By         string `name:"by" required:"" help:"Who approves or agreed (recorded on the case timeline)."`
	PolicyFile string `name:"policy" env:"RECOUP_POLICY" type:"path" help:"Policy file (YAML) in force; the built-in default when empty."`
	Templates  string `name:"templates" env:"RECOUP_TEMPLATES" type:"path" help:"Directory of template overrides (docs/messages.md): the policy's campaign may name its templates."`
}

// engine opens the database and returns an engine over it; close releases it.
func (c *caseFlags) engine(ctx context.Context, g *Globals) (*engine.Engine, func() error, error) {
	if err := c.StripeFlags.validate(); err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(c.By) == "" {
		return nil, nil, fmt.Errorf("--by: say who acts")
	}
	pol, err := loadPolicy(c.PolicyFile, c.Templates)
	if err != nil {
		return nil, nil, err
	}
	log := g.Logger()
	gw, err := stripeapi.New(stripeapi.Config{SecretKey: c.SecretKey, APIBase: c.APIBase, RateLimit: c.RateLimit, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	b, err := openExisting(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	return engine.New(engine.Config{Store: b.store, Gateway: gw, Policy: pol, Logger: log}), b.close, nil
}

// CaseApproveCmd approves a final action waiting for review.
type CaseApproveCmd struct{ caseFlags }

// Run records the approval; the final action's job runs in `recoup serve`.
func (c *CaseApproveCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	eng, closeDB, err := c.engine(ctx, g)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := eng.Approve(ctx, time.Now(), c.Case, c.By); err != nil {
		return err
	}
	fmt.Fprintf(out, "case %d: final action approved by %s; recoup serve runs it now\n", c.Case, c.By)
	return nil
}

// CasePlanCmd starts a payment plan.
type CasePlanCmd struct{ caseFlags }

// Run holds the case, creates the plan's invoices in Stripe as drafts, settles the original one,
// closes the case and turns the invoices on. An error says what was done and what is left; a
// second run finishes it (engine.StartPaymentPlan).
func (c *CasePlanCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	eng, closeDB, err := c.engine(ctx, g)
	if err != nil {
		return err
	}
	defer closeDB()
	ids, err := eng.StartPaymentPlan(ctx, time.Now(), c.Case, c.By)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "case %d: replaced by a payment plan of %d invoices: %s\n", c.Case, len(ids), strings.Join(ids, ", "))
	return nil
}
