package sqlite_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
)

// BenchmarkInsertEventAndEnqueue measures the webhook's hot path: store the event and enqueue
// its processing in one transaction, on a database file (WAL, synchronous=FULL).
//
//	go test ./sqlite -run '^$' -bench InsertEventAndEnqueue -benchmem
func BenchmarkInsertEventAndEnqueue(b *testing.B) {
	payload := []byte(fmt.Sprintf(`{"id":"evt","object":"event","type":"invoice.payment_failed","data":{"object":{"id":"in_1","pad":%q}}}`,
		make([]byte, 3000)))
	newStore := func(b *testing.B) *sqlite.Store {
		db := openDB(b, filepath.Join(b.TempDir(), "bench.db"))
		return sqlite.NewStore(db, jobTable(b, db))
	}
	var seq atomic.Int64
	hotPath := func(b *testing.B, s *sqlite.Store) {
		id := fmt.Sprintf("evt_%d", seq.Add(1))
		err := s.Tx(b.Context(), func(tx recoup.Tx) error {
			ev := recoup.Event{ID: id, Type: "invoice.payment_failed", ObjectID: "in_1", Payload: payload,
				Origin: recoup.OriginWebhook, ReceivedAt: time.Unix(1_800_000_000, 0), Status: recoup.EventPending}
			inserted, err := tx.InsertEvent(&ev)
			if err != nil || !inserted {
				return fmt.Errorf("insert %s: %v, inserted %v", id, err, inserted)
			}
			return tx.Enqueue(recoup.Job{Kind: recoup.JobProcessEvent, EventID: id})
		})
		if err != nil {
			b.Error(err) // not Fatal: RunParallel's goroutines may not call it
		}
	}

	b.Run("serial", func(b *testing.B) {
		s := newStore(b)
		for b.Loop() {
			hotPath(b, s)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := newStore(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				hotPath(b, s)
			}
		})
	})
}

// BenchmarkObservationsCaughtUp measures the timing model's sync on a database file when the
// engine has folded every observation: a query that finds none, asked before every decision.
//
//	go test ./sqlite -run '^$' -bench ObservationsCaughtUp -benchmem
func BenchmarkObservationsCaughtUp(b *testing.B) {
	db := openDB(b, filepath.Join(b.TempDir(), "bench.db"))
	s := sqlite.NewStore(db, jobTable(b, db))
	var last int64
	for i := range 100 {
		err := s.Tx(b.Context(), func(tx recoup.Tx) error {
			o := recoup.Observation{Model: "m", Kind: recoup.ObserveOutcome, Features: []string{"bias", fmt.Sprint("f", i)}, Success: i%3 == 0, At: time.Unix(1_800_000_000, 0)}
			err := tx.AddObservation(&o)
			last = o.ID
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		err := s.Tx(b.Context(), func(tx recoup.Tx) error {
			obs, err := tx.Observations("m", last, 1000)
			if err == nil && len(obs) != 0 {
				err = fmt.Errorf("%d observations after the last", len(obs))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
