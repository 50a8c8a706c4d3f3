package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

const (
	reconcileCursor = "reconcile.events_since"
	// reconcileOverlap re-reads a little before the cursor: events created in the same second
	// may be listed late. Re-reading is free, since ingestion dedupes by id.
	reconcileOverlap = 10 * time.Minute
	// paymentMethodChangeKept is how long a customer's payment-method change is kept for a
	// case that opens after it: as long as Stripe lists events (30 days), the longest a
	// failure's event can reach recoup, through a retried webhook or the reconciliation.
	paymentMethodChangeKept = 30 * 24 * time.Hour
)

// Reconcile reads Stripe's event list since the last run and ingests any event whose webhook
// never arrived. Events already stored are skipped by id, so overlapping runs are harmless.
// It also forgets the payment-method changes too old to be applied to any case that opens,
// and gives back to Stripe the invoices recoup took over and no longer manages.
func (e *Engine) Reconcile(ctx context.Context, now time.Time) error {
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		_, err := tx.PrunePaymentMethodChanges(now.Add(-paymentMethodChangeKept))
		return err
	})
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	// Invoices recoup took over and no longer manages go back to Stripe (takeover.go). A
	// failure is reported with the run's result, after the events are read.
	sweepErr := e.giveBackSweep(ctx, now)
	if e.events == nil {
		return sweepErr
	}
	since := now.Add(-e.window)
	err = e.store.Tx(ctx, func(tx recoup.Tx) error {
		v, err := tx.Cursor(reconcileCursor)
		if err != nil || v == "" {
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("reconcile cursor %q: %w", v, err)
		}
		since = t.Add(-reconcileOverlap)
		return nil
	})
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	// The next run starts from the newest event seen, or from a little before now: Stripe's
	// list may show an event a moment after it is created, hence the overlap.
	newest, found := now.Add(-reconcileOverlap), 0
	for ev, err := range e.events.Events(ctx, since, Handled) {
		if err != nil {
			return fmt.Errorf("reconcile: list events: %w", err)
		}
		ev.Origin = recoup.OriginReconcile
		inserted, err := e.Ingest(ctx, now, &ev)
		if err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		if inserted {
			found++
		}
		newest = later(newest, ev.Created)
	}
	if found > 0 {
		e.log.Info("reconcile: ingested events whose webhooks never arrived", "count", found)
	}
	err = e.store.Tx(ctx, func(tx recoup.Tx) error {
		return tx.SetCursor(reconcileCursor, newest.UTC().Format(time.RFC3339Nano))
	})
	return errors.Join(err, sweepErr)
}
