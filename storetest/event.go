package storetest

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func newEvent(id string) recoup.Event {
	return recoup.Event{
		ID:         id,
		Type:       "customer.updated",
		ObjectID:   "cus_1",
		CustomerID: "cus_1",
		Changed:    []string{"invoice_settings.default_payment_method", "email"},
		Livemode:   true,
		Created:    base,
		Payload:    []byte(`{"id":"` + id + `","object":"event","data":{"object":{"id":"cus_1"}}}` + "\x00\xff"),
		Origin:     recoup.OriginWebhook,
		ReceivedAt: base.Add(time.Second),
		Status:     recoup.EventPending,
	}
}

func storedEvent(ev recoup.Event) recoup.Event {
	ev.Created, ev.ReceivedAt, ev.ProcessedAt = stored(ev.Created), stored(ev.ReceivedAt), stored(ev.ProcessedAt)
	return ev
}

func testEvent(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("every field round-trips", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		ev := newEvent("evt_1")
		ev.ProcessedAt, ev.Note = base.Add(time.Minute), "a note"
		mustTx(t, s, func(tx recoup.Tx) error {
			inserted, err := tx.InsertEvent(&ev)
			if err != nil {
				return err
			}
			if !inserted {
				t.Error("InsertEvent of a new event reported inserted=false")
			}
			got, err := tx.Event("evt_1")
			if err != nil {
				return err
			}
			wantEqual(t, "Tx.Event", storedEvent(ev), got)
			return nil
		})
		got, err := s.Event(t.Context(), "evt_1")
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "Store.Event", storedEvent(ev), got)
	})

	t.Run("zero values round-trip", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		ev := recoup.Event{ID: "evt_zero"}
		mustTx(t, s, func(tx recoup.Tx) error { _, err := tx.InsertEvent(&ev); return err })
		got, err := s.Event(t.Context(), "evt_zero")
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "event", ev, got)
	})

	t.Run("a duplicate is not inserted and keeps the first payload", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		first := newEvent("evt_dup")
		mustTx(t, s, func(tx recoup.Tx) error { _, err := tx.InsertEvent(&first); return err })
		second := newEvent("evt_dup")
		second.Payload, second.Origin = []byte(`{"id":"evt_dup","replayed":true}`), recoup.OriginReconcile
		mustTx(t, s, func(tx recoup.Tx) error {
			inserted, err := tx.InsertEvent(&second)
			if err != nil {
				return err
			}
			if inserted {
				t.Error("InsertEvent of a known event reported inserted=true")
			}
			return nil
		})
		got, err := s.Event(t.Context(), "evt_dup")
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "event", storedEvent(first), got)
	})

	t.Run("an event without an ID is refused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			_, err := tx.InsertEvent(&recoup.Event{Type: "invoice.paid"})
			return err
		})
		wantCode(t, err, recoup.EINVALID)
	})

	t.Run("a missing event is not found", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		_, err := s.Event(t.Context(), "evt_missing")
		wantCode(t, err, recoup.ENOTFOUND)
		mustTx(t, s, func(tx recoup.Tx) error {
			_, err := tx.Event("evt_missing")
			wantCode(t, err, recoup.ENOTFOUND)
			return nil
		})
		err = s.Tx(t.Context(), func(tx recoup.Tx) error {
			return tx.SetEventStatus("evt_missing", recoup.EventProcessed, "", base)
		})
		wantCode(t, err, recoup.ENOTFOUND)
	})

	t.Run("status, note and processing time are recorded", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		ev := newEvent("evt_status")
		mustTx(t, s, func(tx recoup.Tx) error { _, err := tx.InsertEvent(&ev); return err })
		at := base.Add(time.Hour)
		mustTx(t, s, func(tx recoup.Tx) error {
			return tx.SetEventStatus("evt_status", recoup.EventFailed, "invoice in_1 not found", at)
		})
		want := ev
		want.Status, want.Note, want.ProcessedAt = recoup.EventFailed, "invoice in_1 not found", at
		got, err := s.Event(t.Context(), "evt_status")
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "event", storedEvent(want), got)
	})
}
