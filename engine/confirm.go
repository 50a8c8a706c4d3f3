package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// The "payment received" confirmation: an optional message, outside the policy's campaign,
// sent once when a case is recovered to a customer recoup wrote to about it.

// TemplatePaymentReceived is the confirmation's template name.
const TemplatePaymentReceived = "payment_received"

// planConfirmation queues the confirmation of a recovered case in the transaction that records
// the recovery, when confirmations are on.
func (e *Engine) planConfirmation(tx recoup.Tx, c *recoup.Case) error {
	if e.confirmation == "" {
		return nil
	}
	return tx.Enqueue(recoup.Job{Kind: recoup.JobMessage, CaseID: c.ID, Seq: recoup.StepConfirmation})
}

// confirm sends the confirmation of a recovered case, once: it is recorded as the case's
// message of step recoup.StepConfirmation before it is sent, like a campaign step. A customer
// who got no message about the case (the retries recovered it silently) is not told either:
// a thank-you for a problem they never heard of would only confuse. "Told" is a message the
// channel accepted: one still on its way when the case is recovered plans the confirmation
// again once its answer is recorded (finishMessage), so the thank-you comes after it.
func (e *Engine) confirm(ctx context.Context, now time.Time, caseID int64) error {
	if e.confirmation == "" {
		return nil
	}
	c, err := e.store.Case(ctx, caseID)
	if err != nil {
		return fmt.Errorf("confirmation of case %d: %w", caseID, err)
	}
	if c.State != recoup.StateRecovered {
		return nil
	}
	msgs, err := e.store.Messages(ctx, caseID)
	if err != nil {
		return fmt.Errorf("confirmation of case %d: %w", caseID, err)
	}
	told := false
	for _, m := range msgs {
		told = told || (m.Step != recoup.StepConfirmation && m.Status == recoup.MessageSent)
	}
	if !told {
		return nil
	}
	cus, err := e.customer(ctx, c)
	if err != nil {
		return fmt.Errorf("confirmation of case %d: %w", caseID, err)
	}
	st := policy.Step{Channel: e.confirmation, Template: TemplatePaymentReceived, Tone: "neutral"}
	recovered := func(s recoup.CaseState) bool { return s == recoup.StateRecovered }
	m, send, err := e.recordMessage(ctx, now, caseID, recoup.StepConfirmation, st, recoup.Invoice{}, cus, nil, recovered)
	if err != nil || !send {
		return err
	}
	return e.deliver(ctx, now, e.view(&c).Observing(), m)
}
