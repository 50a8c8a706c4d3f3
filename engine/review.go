package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

// Manual review: a segment with `manual_review: true` does not run its final action when it
// falls due. The case is flagged (Case.Review = pending) and keeps its state until an operator
// approves, through Approve; the invoice may still be paid meanwhile, which closes the case as
// usual.

// holdForReview flags the case's due final action for approval. It reports whether the action
// must wait.
func (e *Engine) holdForReview(ctx context.Context, now time.Time, c recoup.Case, seq int, action recoup.FinalAction) (bool, error) {
	if c.Review == recoup.ReviewApproved {
		return false, nil
	}
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := planned(tx, c.ID, seq, "")
		if err != nil {
			return err
		}
		if cur.Review == recoup.ReviewPending {
			return nil // flagged already
		}
		cur.Review = recoup.ReviewPending
		if err := note(tx, &cur, now, recoup.EntryAction, fmt.Sprintf("final action %s awaits an operator's approval (segment %s)", action, cur.Segment),
			map[string]string{"final_action": string(action), "review": string(recoup.ReviewPending), "segment": cur.Segment}); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
	return true, err
}

// Approve records who approved the case's pending final action and runs it now. A case that is
// not waiting for approval (never flagged, approved already, or resolved) is a conflict.
func (e *Engine) Approve(ctx context.Context, now time.Time, caseID int64, who string) error {
	if who == "" {
		return recoup.Errorf(recoup.EINVALID, "approve case %d: say who approves", caseID)
	}
	var seq int
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		c, err := tx.Case(caseID)
		if err != nil {
			return err
		}
		if c.Review != recoup.ReviewPending || !c.State.Active() {
			return recoup.Errorf(recoup.ECONFLICT, "case %d has no final action waiting for approval (review %q, state %s)", caseID, c.Review, c.State)
		}
		c.Review, c.ReviewedBy = recoup.ReviewApproved, who
		reason := "final action approved by " + who
		if c.NextAction != nil && c.NextAction.Kind == recoup.ActionFinal {
			reason += ": " + c.NextAction.Reason
		}
		a := c.Plan(recoup.ActionFinal, now, reason)
		seq = a.Seq
		if err := note(tx, &c, now, recoup.EntryAction, reason, map[string]string{"review": string(recoup.ReviewApproved), "reviewed_by": who}); err != nil {
			return err
		}
		if err := tx.UpdateCase(&c); err != nil {
			return err
		}
		return tx.Enqueue(recoup.Job{Kind: recoup.JobAct, CaseID: c.ID, Seq: seq, RunAt: now})
	})
	if err != nil {
		return fmt.Errorf("approve case %d: %w", caseID, err)
	}
	return nil
}
