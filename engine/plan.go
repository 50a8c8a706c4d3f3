package engine

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/timing"
)

// plan asks the policy for the case's next action, records the decision with its reason, moves
// the case to the matching state and queues the action's job, all in the caller's transaction.
func (e *Engine) plan(tx recoup.Tx, c *recoup.Case, now time.Time) error {
	attempts, err := tx.Attempts(c.ID)
	if err != nil {
		return err
	}
	p := e.view(c)
	f := facts(*c, attempts)
	if p.Observing() {
		f.Charges += c.ShadowCharges // the charges recoup would have made walk the schedule
	}
	c.Category = f.Verdict.Category
	p, large, err := e.largeInvoice(tx, *c, p, now)
	if err != nil {
		return err
	}
	d := p.Decide(f, now)
	if large != "" && d.Inputs != nil {
		d.Inputs["large_invoice"] = large
	}
	if arm := p.Arm(); arm != "" && d.Inputs != nil {
		d.Inputs["arm"] = arm
	}
	if d.Kind == recoup.DecideRetry && d.Inputs["strategy"] == policy.StrategyModel {
		if d, err = e.timeRetry(tx, *c, attempts, d, p, now); err != nil {
			return err
		}
	}
	if d.Kind == recoup.DecideRetry {
		d = guard(d, *c, attempts, p, now)
	}
	if large != "" && d.Kind != recoup.DecideWait {
		d.Reason += "; " + large
	}
	d, backup := e.backupDecision(c, d, p, now)
	var (
		kind  recoup.ActionKind
		state recoup.CaseState
	)
	switch d.Kind {
	case recoup.DecideRetry:
		kind, state = recoup.ActionRetry, recoup.StateScheduled
		if backup {
			kind = recoup.ActionBackup
		}
	case recoup.DecideWait:
		kind, state = recoup.ActionFinal, recoup.StateAwaitingCustomer
	case recoup.DecideFinal:
		kind, state = recoup.ActionFinal, c.State
		if state == recoup.StateOpen || state == recoup.StateRetrying {
			state = recoup.StateScheduled
		}
	default:
		return fmt.Errorf("case %d: policy returned decision %q", c.ID, d.Kind)
	}
	if err := transition(tx, c, state, now, d.Reason); err != nil {
		return err
	}
	if d.Kind == recoup.DecideRetry && c.Review != "" {
		c.Review, c.ReviewedBy = "", "" // recovery resumed: a later final action needs a new approval
	}
	a := c.Plan(kind, d.At, d.Reason)
	if err := note(tx, c, now, recoup.EntryDecision, decisionSummary(d, p), d); err != nil {
		return err
	}
	if kind == recoup.ActionFinal {
		if err := e.planFinalAlert(tx, c, d.At, now); err != nil {
			return err
		}
	}
	return tx.Enqueue(recoup.Job{Kind: recoup.JobAct, CaseID: c.ID, Seq: a.Seq, RunAt: a.At})
}

func decisionSummary(d recoup.Decision, p *policy.Policy) string {
	at := d.At.In(p.Location).Format("Mon 2 Jan 2006 15:04 MST")
	if z := d.Inputs["zone"]; z != "" && z != p.Location.String() {
		if loc, err := timing.LoadLocation(z); err == nil {
			at = d.At.In(loc).Format("Mon 2 Jan 2006 15:04 MST") + " (" + z + ")"
		}
	}
	var s string
	switch {
	case d.Kind == recoup.DecideRetry && d.Inputs["backup_payment_method"] != "":
		s = "charge a backup payment method " + at + ": " + d.Reason
	case d.Kind == recoup.DecideRetry:
		s = "retry " + at + ": " + d.Reason
	case d.Kind == recoup.DecideWait:
		s = "wait for the customer until " + at + ": " + d.Reason
	default:
		s = string(d.FinalAction) + " " + at + ": " + d.Reason
	}
	if arm := p.Arm(); arm != "" {
		s += " [segment " + p.Segment + ", arm " + arm + ", policy " + p.Version + "]"
	} else {
		s += " [segment " + p.Segment + ", policy " + p.Version + "]"
	}
	if p.Observing() {
		return ObservePrefix + "would " + s
	}
	return s
}

// facts derives what the policy needs from the case and its attempts. Rules that hold for a
// card across declines (an earlier "never", an advised wait) are the guard's, not the policy's.
func facts(c recoup.Case, attempts []recoup.Attempt) policy.Facts {
	f := policy.Facts{Case: c, Verdict: decline.Classify(c.LastDecline)}
	for _, a := range attempts {
		if a.Source != recoup.SourceRecoup || a.Card == recoup.CardBackup || a.Card == recoup.CardRemainderSettled {
			continue // a backup method's charge spends none of the card's retries
		}
		switch a.Status {
		case recoup.AttemptDeclined, recoup.AttemptSucceeded:
			f.Charges++
			f.Errors = 0
		case recoup.AttemptError:
			f.Errors++
		}
	}
	return f
}

// guard holds a retry the policy decided to the card networks' rules and the case budget
// (decline.Guard). It runs after the policy, so no policy file can configure a breach: a retry
// the rules delay is moved, and one they forbid turns into waiting for a new payment method (or
// the final action once that wait is over), with the rule on the timeline either way.
func guard(d recoup.Decision, c recoup.Case, attempts []recoup.Attempt, p *policy.Policy, now time.Time) recoup.Decision {
	ledger, brand := cardLedger(c, attempts)
	at, rule, ok := decline.Guard(ledger, brand, c.Amount.Amount, d.At, p.Network)
	if ok && !at.After(d.At) {
		return d
	}
	in := maps.Clone(d.Inputs)
	if in == nil {
		in = map[string]string{}
	}
	in["network_guard"] = rule
	if ok {
		in["network_guard_moved_from"] = d.At.UTC().Format(time.RFC3339)
		d.Reason += fmt.Sprintf("; network guard: %s: moved to %s", rule, at.In(p.Location).Format("Mon 2 Jan 15:04 MST"))
		d.At, d.Inputs = at, in
		return d
	}
	deadline := c.FirstFailedAt.Add(p.CustomerWait)
	if !now.Before(deadline) {
		return recoup.Decision{Kind: recoup.DecideFinal, At: now, FinalAction: p.FinalAction, Inputs: in,
			Reason: fmt.Sprintf("network guard: %s: no further charge on this card, and no new payment method arrived within %s; final action: %s", rule, p.CustomerWait, p.FinalAction)}
	}
	return recoup.Decision{Kind: recoup.DecideWait, At: deadline, FinalAction: p.FinalAction, Inputs: in,
		Reason: fmt.Sprintf("network guard: %s: not retrying this card; waiting for a new payment method until %s, then %s",
			rule, deadline.In(p.Location).Format("Mon 2 Jan 15:04 MST"), p.FinalAction)}
}

// cardLedger is every attempt on the card the next charge will use, and that card's brand (""
// if unknown or if several cards may be the one). A charge on a new payment method counts only
// the attempts on it; a charge of the default card counts every attempt of the case, since the
// default may be any card that failed before. An attempt whose call failed counts too: it may
// have reached the issuer.
func cardLedger(c recoup.Case, attempts []recoup.Attempt) ([]decline.LedgerEntry, string) {
	var (
		out    []decline.LedgerEntry
		brands = map[string]bool{}
	)
	for _, a := range attempts {
		if c.NewPaymentMethodID != "" && a.PaymentMethodID != c.NewPaymentMethodID || a.Card == recoup.CardBackup || a.Card == recoup.CardRemainderSettled {
			continue // another card's charges (a backup method's have their own ledger)
		}
		out = append(out, decline.LedgerEntry{At: a.StartedAt, Amount: c.Amount.Amount, Currency: c.Amount.Currency,
			Succeeded: a.Status == recoup.AttemptSucceeded, Decline: a.Decline, ByRecoup: a.Source == recoup.SourceRecoup})
		if a.Decline != nil && a.Decline.CardBrand != "" {
			brands[strings.ToLower(a.Decline.CardBrand)] = true
		}
	}
	if len(brands) != 1 {
		return out, ""
	}
	for b := range brands {
		return out, b
	}
	return out, ""
}
