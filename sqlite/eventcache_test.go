package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func TestPendingEvents(t *testing.T) {
	ctx := context.Background()
	db, s := openScratchTestStore(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("UTC-5", -5*3600))
	for _, ev := range []recoup.Event{
		{ID: "evt_1", Type: "customer.updated", ObjectID: "cus_1", CustomerID: "cus_1", Changed: []string{"invoice_settings.default_payment_method", "é"},
			Livemode: true, Created: at, Payload: []byte(`{"id":"evt_1"}`), Origin: recoup.OriginWebhook, ReceivedAt: at.Add(time.Second),
			Status: recoup.EventPending},
		{ID: "evt_2", Type: "invoice.paid", ObjectID: "in_1", Payload: []byte(`{}`), Status: recoup.EventPending},
	} {
		mustTxCache(t, s, func(tx recoup.Tx) error { _, err := tx.InsertEvent(&ev); return err })
		got, err := s.Event(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := db.events.Get(ev.ID); !ok {
			t.Fatalf("%s: not held", ev.ID)
		}
		row, err := getEvent(ctx, db.SQL(), ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, row) {
			t.Errorf("%s held:\n got %+v\nwant %+v (the row)", ev.ID, got, row)
		}
	}
	mustTxCache(t, s, func(tx recoup.Tx) error { return tx.SetEventStatus("evt_1", recoup.EventProcessed, "done", at) })
	got, err := s.Event(ctx, "evt_1")
	if err != nil || got.Status != recoup.EventProcessed || got.Note != "done" {
		t.Errorf("after its status is set: %+v, %v", got, err)
	}
	if _, ok := db.events.Get("evt_1"); ok {
		t.Error("an event with its status set is still held")
	}
}
