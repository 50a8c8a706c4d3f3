package sqlite

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/recoup-hq/recoup"
)

func TestObservationLog(t *testing.T) {
	ctx := context.Background()
	_, s := openScratchTestStore(t)
	add := func(tx recoup.Tx, model string, fs ...string) int64 {
		t.Helper()
		o := recoup.Observation{Model: model, Kind: recoup.ObserveOutcome, Features: fs, Success: len(fs)%2 == 0}
		if err := tx.AddObservation(&o); err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	read := func(tx recoup.Tx, model string, after int64, limit int) []int64 {
		t.Helper()
		obs, err := tx.Observations(model, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, o := range obs {
			ids = append(ids, o.ID)
		}
		return ids
	}
	var first, second, third int64
	mustTxCache(t, s, func(tx recoup.Tx) error {
		if got := read(tx, "m", 0, 10); len(got) != 0 { // the log begins, at an empty table
			t.Errorf("none added: %v", got)
		}
		first = add(tx, "m", "a")
		add(tx, "other")
		return nil
	})
	undo := errors.New("undo")
	err := s.Tx(ctx, func(tx recoup.Tx) error {
		rolledBack := add(tx, "m", "b")
		if got := read(tx, "m", first, 10); !slices.Equal(got, []int64{rolledBack}) {
			t.Errorf("in the transaction that added it: %v, want [%d]", got, rolledBack)
		}
		return undo
	})
	if !errors.Is(err, undo) {
		t.Fatal(err)
	}
	mustTxCache(t, s, func(tx recoup.Tx) error {
		second, third = add(tx, "m", "c", "d"), add(tx, "m")
		return nil
	})
	mustTxCache(t, s, func(tx recoup.Tx) error {
		if got := read(tx, "m", first, 10); !slices.Equal(got, []int64{second, third}) {
			t.Errorf("after the first: %v, want [%d %d]", got, second, third)
		}
		if got := read(tx, "m", first, 1); !slices.Equal(got, []int64{second}) {
			t.Errorf("after the first, one: %v, want [%d]", got, second)
		}
		if got := read(tx, "m", 0, 10); !slices.Equal(got, []int64{first, second, third}) {
			t.Errorf("from the start: %v, want [%d %d %d]", got, first, second, third)
		}
		obs, err := tx.Observations("m", first, 10)
		if err != nil || len(obs) != 2 || !slices.Equal(obs[0].Features, []string{"c", "d"}) || !obs[0].Success ||
			obs[1].Features == nil || len(obs[1].Features) != 0 {
			t.Errorf("observations after the first: %+v, %v", obs, err)
		}
		return nil
	})
	// A read from before what the log holds goes to the table: a read after the third drops
	// what precedes it.
	mustTxCache(t, s, func(tx recoup.Tx) error {
		if got := read(tx, "m", third, 10); len(got) != 0 {
			t.Errorf("after the third: %v", got)
		}
		return nil
	})
	mustTxCache(t, s, func(tx recoup.Tx) error {
		if got := read(tx, "m", first, 10); !slices.Equal(got, []int64{second, third}) {
			t.Errorf("from the table, after the first: %v, want [%d %d]", got, second, third)
		}
		return nil
	})
}
