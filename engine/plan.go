package engine

import (
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/policy"
)

// plan asks the policy for the case's next action, records the decision with its reason, moves
// the case to the matching state and queues the action's job, all in the caller's transaction.
func (e *Engine) plan(tx recoup.Tx, c *recoup.Case, now time.Time) error {
	attempts, err := tx.Attempts(c.ID)
	if err != nil {
		return err
	}
	p := e.Policy()
	f := facts(*c, attempts)
	c.Category = f.Verdict.Category
	d := p.Decide(f, now)
	var (
		kind  recoup.ActionKind
		state recoup.CaseState
	)
	switch d.Kind {
	case recoup.DecideRetry:
		kind, state = recoup.ActionRetry, recoup.StateScheduled
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
	a := c.Plan(kind, d.At, d.Reason)
	if err := note(tx, c, now, recoup.EntryDecision, decisionSummary(d, p), d); err != nil {
		return err
	}
	return tx.Enqueue(recoup.Job{Kind: recoup.JobAct, CaseID: c.ID, Seq: a.Seq, RunAt: a.At})
}

func decisionSummary(d recoup.Decision, p *policy.Policy) string {
	at := d.At.In(p.Location).Format("Mon 2 Jan 2006 15:04 MST")
	switch d.Kind {
	case recoup.DecideRetry:
		return "retry " + at + ": " + d.Reason
	case recoup.DecideWait:
		return "wait for the customer until " + at + ": " + d.Reason
	}
	return string(d.FinalAction) + " " + at + ": " + d.Reason
}

// facts derives what the policy needs from the case and its attempts.
//
// A retry without a new payment method charges the customer's default card, which may be any
// card that failed before (a customer trying another card on the hosted page does not make it
// the default). So a card the issuer or network said never to retry keeps the case from
// retrying until a new payment method arrives, whatever failed since.
func facts(c recoup.Case, attempts []recoup.Attempt) policy.Facts {
	f := policy.Facts{Case: c, Verdict: decline.Classify(c.LastDecline)}
	if c.NewPaymentMethodID == "" && f.Verdict.Category != recoup.CategoryHard {
		for _, a := range attempts {
			if a.Status != recoup.AttemptDeclined {
				continue
			}
			if v := decline.Classify(a.Decline); v.Category == recoup.CategoryHard {
				card := a.PaymentMethodID
				if card == "" {
					card = "the default card"
				}
				v.Rule = fmt.Sprintf("%s on %s earlier (the default card may still be that one)", v.Rule, card)
				f.Verdict = v
				break
			}
		}
	}
	for _, a := range attempts {
		// Advice to wait holds for the card, whatever failed since (see above).
		if a.Status == recoup.AttemptDeclined && c.NewPaymentMethodID == "" {
			if v := decline.Classify(a.Decline); v.Wait > 0 && a.StartedAt.Add(v.Wait).After(f.NotBefore) {
				f.NotBefore = a.StartedAt.Add(v.Wait)
			}
		}
		if a.Source != recoup.SourceRecoup {
			continue
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
