package engine

import (
	"context"
	"fmt"
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
}

func handled(eventType string) bool {
	for _, t := range Handled {
		if t == eventType {
			return true
		}
	}
	return false
}

// Ingest stores an inbound event once, by its Stripe id, and queues its processing in the same
// transaction. It reports false for an event already stored, which is acknowledged and not
// processed again. Types the engine does not handle are stored as ignored.
func (e *Engine) Ingest(ctx context.Context, now time.Time, ev *recoup.Event) (bool, error) {
	ev.ReceivedAt = now
	ev.Status = recoup.EventPending
	if !handled(ev.Type) {
		ev.Status = recoup.EventIgnored
		ev.Note = "event type not handled"
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
