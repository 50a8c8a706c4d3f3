package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// holdFinal moves a final action that fell due before the policy's final_after (a wait for the
// customer that ended early, or the network guard giving up) to the end of the hold.
func (e *Engine) holdFinal(ctx context.Context, now time.Time, c recoup.Case, seq int, hold time.Time, p *policy.Policy) error {
	return e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := planned(tx, c.ID, seq, "")
		if err != nil {
			return err
		}
		reason := fmt.Sprintf("%s; held until %s (final_after %s)", cur.NextAction.Reason,
			hold.In(p.Location).Format("Mon 2 Jan 15:04 MST"), dayString(p.FinalAfter))
		a := cur.Plan(recoup.ActionFinal, hold, reason)
		d := recoup.Decision{Kind: recoup.DecideFinal, At: hold, FinalAction: p.FinalAction, Reason: reason,
			Inputs: map[string]string{"policy_version": p.Version, "segment": p.Segment, "final_after": dayString(p.FinalAfter)}}
		if err := note(tx, &cur, now, recoup.EntryDecision, decisionSummary(d, p), d); err != nil {
			return err
		}
		if err := tx.UpdateCase(&cur); err != nil {
			return err
		}
		return tx.Enqueue(recoup.Job{Kind: recoup.JobAct, CaseID: cur.ID, Seq: a.Seq, RunAt: hold})
	})
}

// dayString writes whole days as policy files do ("30d").
func dayString(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// runFinal makes the final action's Stripe call, idempotently. A case without a subscription
// has nothing to cancel or pause.
func (e *Engine) runFinal(ctx context.Context, c recoup.Case, action recoup.FinalAction) error {
	key := c.FinalActionKey(action)
	switch action {
	case recoup.FinalCancelSubscription:
		if c.SubscriptionID != "" {
			return e.gw.CancelSubscription(ctx, c.SubscriptionID, key)
		}
	case recoup.FinalMarkUncollectible:
		return e.gw.MarkUncollectible(ctx, c.InvoiceID, key)
	case recoup.FinalCancelAtPeriodEnd, recoup.FinalPauseCollection:
		if c.SubscriptionID == "" {
			return nil
		}
		sg, ok := e.gw.(recoup.SubscriptionGateway)
		if !ok {
			return recoup.Errorf(recoup.EINVALID, "the gateway cannot %s", action)
		}
		if action == recoup.FinalCancelAtPeriodEnd {
			return sg.CancelAtPeriodEnd(ctx, c.SubscriptionID, key)
		}
		return sg.PauseCollection(ctx, c.SubscriptionID, key)
	}
	return nil
}

func finalSummary(c recoup.Case, action recoup.FinalAction) string {
	switch action {
	case recoup.FinalCancelSubscription:
		return "subscription " + c.SubscriptionID + " cancelled"
	case recoup.FinalCancelAtPeriodEnd:
		return "subscription " + c.SubscriptionID + " set to cancel at the end of its period"
	case recoup.FinalMarkUncollectible:
		return "invoice marked uncollectible"
	case recoup.FinalPauseCollection:
		return "collection paused on subscription " + c.SubscriptionID
	}
	return "invoice left past due"
}
