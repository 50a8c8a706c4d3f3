package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/recoup-hq/recoup"
)

func TestScratchBatch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "batch.db")
	db, err := OpenScratch(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := NewStore(db, nil)
	c := cacheTestCase("in_batch")
	mustTxCache(t, s, func(tx recoup.Tx) error { return tx.CreateCase(&c) })

	// More store transactions than a batch holds, with failed ones among them: each failure
	// undoes its own writes only.
	failed := errors.New("undo")
	committed := 0
	for i := range 2*batchSize + 7 {
		err := s.Tx(ctx, func(tx recoup.Tx) error {
			if err := changeCase(tx, c.ID, func(cur *recoup.Case) { cur.Attempts++ }); err != nil {
				return err
			}
			if err := tx.AppendTimeline(&recoup.TimelineEntry{CaseID: c.ID, Kind: recoup.EntryAttempt, Summary: "+1"}); err != nil {
				return err
			}
			if i%5 == 0 {
				return failed
			}
			return nil
		})
		switch {
		case errors.Is(err, failed):
		case err != nil:
			t.Fatal(err)
		default:
			committed++
		}
		// A read outside the store's transactions sees every committed one.
		got, err := s.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Attempts != committed {
			t.Fatalf("after %d transactions: Attempts %d, want %d", i+1, got.Attempts, committed)
		}
	}

	// Close commits the open batch: the file holds every committed transaction.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s = NewStore(db, nil)
	got, err := s.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := s.Timeline(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attempts != committed || got.Version != int64(1+committed) || len(tl) != committed {
		t.Fatalf("reopened: Attempts %d, Version %d, %d timeline entries; want %d, %d, %d",
			got.Attempts, got.Version, len(tl), committed, 1+committed, committed)
	}
}
