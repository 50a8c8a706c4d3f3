package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

// Observe-only (shadow) mode: the policy's `mode: observe` makes the engine decide everything it
// would in act mode, and record it, but never charge, message or run a final action. Stripe's own
// retries keep arriving as observations (attempts with Source stripe), so a case's timeline shows
// what recoup would have done next to what Stripe did, and the shadow report compares them.

// ObservePrefix starts every timeline entry of something recoup would have done.
const ObservePrefix = "observe-only: "

// errObserveOnly is recorded on the messages recoup would have sent.
var errObserveOnly = errors.New("observe-only mode: not sent")

// shadowCharge records the charge recoup would make now, without calling Stripe, and plans the
// next one as if it had declined like the last real attempt.
func (e *Engine) shadowCharge(ctx context.Context, now time.Time, c recoup.Case, seq int) error {
	if _, open, err := e.checkOpen(ctx, now, c); err != nil || !open {
		return err
	}
	return e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := planned(tx, c.ID, seq, recoup.StateScheduled)
		if err != nil {
			return err
		}
		cur.ShadowCharges++
		cur.NextAction = nil
		// A charge on a new payment method would have been made on it: like a real one that
		// declined, it uses the news up, or the plan would retry "at once" on it forever. The
		// case keeps the card Stripe last charged, which tells who paid.
		cur.NewPaymentMethodID, cur.NewCardSource = "", ""
		if err := note(tx, &cur, now, recoup.EntryAction, fmt.Sprintf("%swould charge %s now (charge %d); not charged", ObservePrefix, cur.Amount, cur.ShadowCharges),
			map[string]any{"observe_only": true, "would": "charge", "n": cur.ShadowCharges}); err != nil {
			return err
		}
		if err := e.plan(tx, &cur, now); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
}

// shadowFinal records the final action recoup would run now, without calling Stripe. The case
// is exhausted for recoup, but Stripe's attempts and the payment are still recorded on it.
func (e *Engine) shadowFinal(ctx context.Context, now time.Time, c recoup.Case, seq int, action recoup.FinalAction) error {
	return e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := planned(tx, c.ID, seq, "")
		if err != nil {
			return err
		}
		if err := note(tx, &cur, now, recoup.EntryAction, fmt.Sprintf("%swould run the final action %s now; nothing done", ObservePrefix, action),
			map[string]any{"observe_only": true, "would": "final_action", "final_action": string(action), "segment": cur.Segment, "policy_version": e.Policy().Version, "arm": cur.Arm}); err != nil {
			return err
		}
		if err := transition(tx, &cur, recoup.StateExhausted, now, ObservePrefix+"recovery would have given up: "+cur.NextAction.Reason); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
}
