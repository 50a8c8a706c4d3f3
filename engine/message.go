package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// errNoChannel is recorded on messages when the engine has no notifier, or the notifier has
// no channel for the message.
var errNoChannel = recoup.ErrNoChannel

// planMessage queues the first campaign step from index `from` on that applies to the case,
// at the campaign's hour on the step's day, in the customer's time zone and outside their
// quiet hours. A step whose time has passed is sent now, unless
// the step after it is due as well: a case that starts late (backfill, downtime) gets the
// latest due step, not the whole backlog at once.
func (e *Engine) planMessage(tx recoup.Tx, c *recoup.Case, now time.Time, from int) error {
	p := e.view(c)
	loc, _ := customerClock(*c, p)
	steps := p.Campaign.Steps
	for i := from; i < len(steps); i++ {
		if !steps[i].Applies(c.Category) {
			continue
		}
		at := p.StepAt(c.FirstFailedAt, steps[i], loc)
		if next := nextApplying(steps, i, c.Category); next >= 0 && !p.StepAt(c.FirstFailedAt, steps[next], loc).After(now) {
			continue
		}
		return tx.Enqueue(recoup.Job{Kind: recoup.JobMessage, CaseID: c.ID, Seq: i, RunAt: p.OutsideQuietHoursOn(steps[i].Channel, later(at, now), loc)})
	}
	return nil
}

func nextApplying(steps []policy.Step, i int, cat recoup.Category) int {
	for j := i + 1; j < len(steps); j++ {
		if steps[j].Applies(cat) {
			return j
		}
	}
	return -1
}

// Message sends campaign step `step` of the case, once. The message is recorded before it is
// handed to the channel, so neither a re-run nor a second process sends it twice: a channel
// error is recorded and the job's retry sends again, but a message whose send was interrupted
// without an answer (a crash) is marked failed rather than risk a duplicate. Messages stop as
// soon as the invoice is paid or the case is closed.
func (e *Engine) Message(ctx context.Context, now time.Time, caseID int64, step int) error {
	if step == recoup.StepConfirmation {
		return e.confirm(ctx, now, caseID)
	}
	c, err := e.store.Case(ctx, caseID)
	if err != nil {
		return fmt.Errorf("message %d of case %d: %w", step, caseID, err)
	}
	if !messaging(c.State) {
		return nil
	}
	p := e.view(&c)
	if step >= len(p.Campaign.Steps) {
		return nil // the policy changed and has fewer steps now
	}
	st := p.Campaign.Steps[step]
	if !st.Applies(c.Category) {
		return e.store.Tx(ctx, func(tx recoup.Tx) error { return e.planMessage(tx, &c, now, step+1) })
	}
	// A job retried after a channel error may come due at night: run it again in the
	// morning (the same job: a new one for the same step would be a duplicate of this one).
	if loc, _ := customerClock(c, p); p.OutsideQuietHoursOn(st.Channel, now, loc).After(now) {
		return &recoup.RunLater{At: p.OutsideQuietHoursOn(st.Channel, now, loc)}
	}
	inv, open, err := e.checkOpen(ctx, now, c)
	if err != nil || !open {
		return err
	}
	// recoup's message goes out only once Stripe's own reminders for the invoice are off.
	if ok, err := e.takeOver(ctx, now, c); err != nil || !ok {
		return err
	}
	if ok, err := e.yieldToStripe(ctx, now, c, inv); err != nil || !ok {
		return err
	}
	cus, err := e.customer(ctx, c)
	if err != nil {
		return fmt.Errorf("message %d of case %d: %w", step, caseID, err)
	}
	var gen *Personalization
	if st.Channel != "sms" { // a text is the template's few words and its link
		if gen, err = e.personalize(ctx, now, c, inv, cus, step, st); err != nil {
			return err
		}
	}
	m, send, err := e.recordMessage(ctx, now, caseID, step, st, inv, cus, gen, messaging)
	if err != nil || !send {
		return err
	}
	return e.deliver(ctx, now, p.Observing(), m)
}

// deliver hands a recorded message to its channel and records the answer.
func (e *Engine) deliver(ctx context.Context, now time.Time, observing bool, m recoup.Message) error {
	var (
		sendErr error
		receipt recoup.Receipt
	)
	switch {
	case observing:
		sendErr = errObserveOnly
	case e.notifier == nil:
		sendErr = errNoChannel
	default:
		receipt, sendErr = e.send(ctx, m)
	}
	return e.finishMessage(ctx, now, m, sendErr, receipt)
}

// messaging reports whether a case in state s still gets messages: while it is being recovered
// and after the final action, as long as the invoice is unpaid.
func messaging(s recoup.CaseState) bool { return s.Active() || s == recoup.StateExhausted }

// recordMessage records the step as pending, rendered, and reports whether to send it now.
// inState says in which case states the message is still wanted (messaging for the campaign).
func (e *Engine) recordMessage(ctx context.Context, now time.Time, caseID int64, step int, st policy.Step, inv recoup.Invoice, cus recoup.Customer, gen *Personalization, inState func(recoup.CaseState) bool) (recoup.Message, bool, error) {
	var (
		m    recoup.Message
		send bool
	)
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		c, err := tx.Case(caseID)
		if err != nil {
			return err
		}
		if !inState(c.State) {
			return nil
		}
		msgs, err := tx.Messages(caseID)
		if err != nil {
			return err
		}
		for _, old := range msgs {
			if old.Step != step {
				continue
			}
			if old.Status != recoup.MessagePending {
				return nil // already sent, failed or skipped
			}
			if old.Error == "" {
				// The send was interrupted without an answer: it may have gone out.
				old.Status, old.Error = recoup.MessageFailed, "send interrupted without an answer: not sent again to avoid a duplicate"
				if err := tx.UpdateMessage(&old); err != nil {
					return err
				}
				if err := note(tx, &c, now, recoup.EntryMessage, fmt.Sprintf("message %d (%s) outcome unknown: not sent again", step, st.Template), old); err != nil {
					return err
				}
				return e.planMessage(tx, &c, now, step+1)
			}
			// The channel refused it last time: try again, unless the customer has since
			// become unreachable (an unsubscribe meanwhile).
			why, err := e.unreachable(tx, c, old)
			if err == nil && why == "" {
				why, err = smsBlocked(tx, cus, old)
			}
			if err != nil || why == "" {
				m, send = old, err == nil
				if err == nil {
					err = e.relink(&m, e.draft(c, inv, cus, step, st, now))
				}
				return err
			}
			old.Status, old.Error = recoup.MessageSkipped, why
			if err := tx.UpdateMessage(&old); err != nil {
				return err
			}
			if err := note(tx, &c, now, recoup.EntryMessage, fmt.Sprintf("message %d (%s) skipped: %s", step, st.Template, why),
				map[string]any{"step": step, "channel": old.Channel, "template": old.Template, "status": old.Status, "reason": why}); err != nil {
				return err
			}
			return e.planMessage(tx, &c, now, step+1)
		}
		m, err = e.render(c, inv, cus, step, st, now, gen)
		var why string
		switch {
		case recoup.ErrorCode(err) == recoup.EINVALID:
			// A template that cannot be written for this case will not be written by a retry:
			// the step is recorded as failed, with the reason, and the campaign moves on.
			m.Status, m.Error, why = recoup.MessageFailed, err.Error(), "could not be written: "+err.Error()
		case err != nil:
			return err
		default:
			if why, err = e.unreachable(tx, c, m); err != nil {
				return err
			}
			if why == "" {
				if why, err = smsBlocked(tx, cus, m); err != nil {
					return err
				}
			}
			if why != "" {
				// Recorded as skipped, so the step is done and the campaign moves on.
				m.Status, m.Error, why = recoup.MessageSkipped, why, "skipped: "+why
			}
		}
		if err := tx.InsertMessage(&m); err != nil {
			return fmt.Errorf("record message %d: %w", step, err)
		}
		if why != "" {
			if err := note(tx, &c, now, recoup.EntryMessage, fmt.Sprintf("message %d (%s) %s", step, st.Template, why),
				map[string]any{"step": step, "channel": m.Channel, "template": m.Template, "status": m.Status, "reason": m.Error}); err != nil {
				return err
			}
			return e.planMessage(tx, &c, now, step+1)
		}
		if m.Fallback != "" {
			// The audit of personalization: the template is sent, and the timeline says why.
			if err := note(tx, &c, now, recoup.EntryMessage, fmt.Sprintf("message %d (%s) written from the template: %s", step, st.Template, m.FallbackReason),
				map[string]any{"step": step, "fallback": m.Fallback, "reason": m.FallbackReason, "model": m.Model}); err != nil {
				return err
			}
		}
		send = true
		return nil
	})
	return m, send, err
}

// finishMessage records the channel's answer and plans the next step. A temporary error is
// recorded on the pending message and returned, so the job is retried.
func (e *Engine) finishMessage(ctx context.Context, now time.Time, m recoup.Message, sendErr error, receipt recoup.Receipt) error {
	temporary := false
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		c, err := tx.Case(m.CaseID)
		if err != nil {
			return err
		}
		var summary string
		switch code := recoup.ErrorCode(sendErr); {
		case sendErr == nil:
			m.Status, m.SentAt, m.Error = recoup.MessageSent, now, ""
			summary = fmt.Sprintf("message %d sent by %s: %s (%s)", m.Step, m.Channel, m.Subject, m.Tone)
		case errors.Is(sendErr, errObserveOnly):
			m.Status, m.Error = recoup.MessageSkipped, sendErr.Error()
			summary = fmt.Sprintf("%swould send message %d by %s: %s (%s); not sent", ObservePrefix, m.Step, m.Channel, m.Template, m.Tone)
		case errors.Is(sendErr, errNoChannel):
			m.Status, m.Error = recoup.MessageSkipped, sendErr.Error()
			summary = fmt.Sprintf("message %d (%s) not sent: %v", m.Step, m.Template, sendErr)
		case code == recoup.EINVALID:
			m.Status, m.Error = recoup.MessageFailed, sendErr.Error()
			summary = fmt.Sprintf("message %d (%s) failed for good: %v", m.Step, m.Template, sendErr)
			if err := e.refusedForGood(tx, &c, now, m, sendErr); err != nil {
				return err
			}
		default:
			temporary = true
			m.Error = sendErr.Error()
			return tx.UpdateMessage(&m)
		}
		if err := tx.UpdateMessage(&m); err != nil {
			return err
		}
		if m.Status == recoup.MessageSent {
			if err := recordCost(tx, m, receipt, now); err != nil {
				return err
			}
		}
		if err := note(tx, &c, now, recoup.EntryMessage, summary, map[string]any{"step": m.Step, "channel": m.Channel, "template": m.Template, "tone": m.Tone, "status": m.Status, "generated": m.Generated}); err != nil {
			return err
		}
		if m.Status == recoup.MessageSent && m.Step != recoup.StepConfirmation && c.State == recoup.StateRecovered {
			// The case was recovered while this message was on its way: the confirmation that
			// ran then found the customer not told yet and sent nothing. Now they are told.
			return e.planConfirmation(tx, &c)
		}
		return e.planMessage(tx, &c, now, m.Step+1)
	})
	if err == nil && temporary {
		return fmt.Errorf("message %d of case %d: %w", m.Step, m.CaseID, sendErr) // the job is retried
	}
	return err
}

// placeholder builds the message for a step when no Renderer is configured. The wording is
// plain and factual; templates per brand, tone and locale replace it when configured.
func placeholder(c recoup.Case, step int, st policy.Step, now time.Time) recoup.Message {
	var subject string
	switch st.Tone {
	case "gentle":
		subject = "Your payment didn't go through"
	case "helpful":
		subject = "Update your card to keep your subscription"
	case "urgent":
		subject = "Action needed: your subscription will be suspended"
	case "final":
		subject = "Final notice: your subscription is about to end"
	default:
		subject = "Your payment failed"
	}
	text := "We could not collect your payment of " + c.Amount.String() + " for invoice " + c.InvoiceID + ". Please update your payment method or pay the invoice."
	if st.Template == TemplatePaymentReceived {
		subject, text = "Payment received: thank you", "We have received your payment of "+c.Amount.String()+" for invoice "+c.InvoiceID+". Thank you."
	}
	return recoup.Message{CaseID: c.ID, InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Step: step, Channel: st.Channel,
		Template: st.Template, Tone: st.Tone, To: c.CustomerEmail, Subject: subject, Text: text, Status: recoup.MessagePending, CreatedAt: now}
}
