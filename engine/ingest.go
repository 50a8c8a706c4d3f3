package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
)

// Handled lists the Stripe event types the engine acts on; others are stored as ignored.
var Handled = []string{
	"invoice.payment_failed",
	"invoice.paid",
	"invoice.payment_succeeded",
	"invoice.payment_action_required",
	"invoice.voided",
	"invoice.marked_uncollectible",
	"customer.subscription.deleted",
	"payment_method.attached",
	"payment_method.automatically_updated",
	"customer.updated",
	"customer.source.expiring", // pre-dunning
	"invoice.upcoming",         // pre-dunning
	"invoice.finalized",        // reminders of invoices sent to be paid
	"invoice.updated",          // a partial payment (settle_remainder_below)
	"invoice_payment.paid",     // a partial payment (settle_remainder_below)
}

// paymentFields are the invoice fields whose change on invoice.updated can matter to recoup:
// what was paid (a partial payment) and the status; and auto_advance turned on, when someone
// hands an invoice recoup took over back to Stripe. Stripe sends invoice.updated for every
// change to an invoice (recoup's own takeover among them); the others are stored as ignored,
// without reading the invoice again.
var paymentFields = []string{"amount_paid", "amount_remaining", "status"}

// unhandled says why the engine does not act on ev, or "" if it does.
func unhandled(ev *recoup.Event) string {
	if !slices.Contains(Handled, ev.Type) {
		return "event type not handled"
	}
	if ev.Type == "invoice.updated" && !slices.ContainsFunc(paymentFields, ev.HasChanged) &&
		!(ev.HasChanged("auto_advance") && autoAdvanceOn(ev.Payload)) {
		return "invoice updated, but neither what was paid nor its status changed, nor its automatic collection turned on"
	}
	return ""
}

// autoAdvanceOn reports whether the event's invoice (data.object) has automatic collection on.
func autoAdvanceOn(payload []byte) bool {
	var ev struct {
		Data struct {
			Object struct {
				AutoAdvance bool `json:"auto_advance"`
			} `json:"object"`
		} `json:"data"`
	}
	return json.Unmarshal(payload, &ev) == nil && ev.Data.Object.AutoAdvance
}

// Ingest stores an inbound event once, by its Stripe id, and queues its processing in the same
// transaction. It reports false for an event already stored, which is acknowledged and not
// processed again. Types the engine does not handle are stored as ignored.
func (e *Engine) Ingest(ctx context.Context, now time.Time, ev *recoup.Event) (bool, error) {
	ev.ReceivedAt = now
	ev.Status = recoup.EventPending
	if why := unhandled(ev); why != "" {
		ev.Status = recoup.EventIgnored
		ev.Note = why
		ev.Payload = nil // of no use to recoup, and personal data: not kept (docs/privacy.md)
	}
	var inserted bool
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		var err error
		if inserted, err = tx.InsertEvent(ev); err != nil || !inserted || ev.Status != recoup.EventPending {
			return err
		}
		return tx.Enqueue(recoup.Job{Kind: recoup.JobProcessEvent, EventID: ev.ID})
	})
	if err != nil {
		return false, fmt.Errorf("ingest event %s: %w", ev.ID, err)
	}
	if inserted && ev.Status == recoup.EventIgnored {
		e.metrics.EventProcessed(ev.Type, "ignored")
	}
	return inserted, nil
}
