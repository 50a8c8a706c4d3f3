package storetest

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func testObservations(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("observations are read back in order, per model, after an ID", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		obs := []recoup.Observation{
			{Model: "retry_timing", Kind: recoup.ObserveOutcome, Features: []string{"bias", "cat:funds", "funds|hour:9"}, Success: true, At: base},
			{Model: "other", Kind: recoup.ObserveOutcome, Features: []string{"bias"}, At: base},
			{Model: "retry_timing", Kind: recoup.ObserveReset, At: base.Add(time.Hour)},
			{Model: "retry_timing", Kind: recoup.ObserveOutcome, Features: []string{"bias", "code:do_not_honor"}, At: base.Add(2 * time.Hour)},
		}
		mustTx(t, s, func(tx recoup.Tx) error {
			for i := range obs {
				if err := tx.AddObservation(&obs[i]); err != nil {
					return err
				}
			}
			return nil
		})
		var got, after []recoup.Observation
		mustTx(t, s, func(tx recoup.Tx) (err error) {
			if got, err = tx.Observations("retry_timing", 0, 10); err != nil {
				return err
			}
			after, err = tx.Observations("retry_timing", obs[0].ID, 1)
			return err
		})
		want := []recoup.Observation{obs[0], obs[2], obs[3]}
		want[1].Features = []string{}
		for i := range want {
			want[i].At = stored(want[i].At)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("observations (-want +got):\n%s", d)
		}
		if len(after) != 1 || after[0].ID != obs[2].ID {
			t.Errorf("one observation after the first = %+v, want the reset", after)
		}
	})
	t.Run("an invalid observation is refused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			return tx.AddObservation(&recoup.Observation{Model: "m", Kind: "guess"})
		})
		if recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("AddObservation with an unknown kind: %v, want EINVALID", err)
		}
	})
	t.Run("snapshots keep the latest", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			_, err := tx.ModelSnapshot("retry_timing")
			return err
		})
		if recoup.ErrorCode(err) != recoup.ENOTFOUND {
			t.Fatalf("snapshot of a new model: %v, want ENOTFOUND", err)
		}
		save := func(upTo int64, state string) {
			mustTx(t, s, func(tx recoup.Tx) error {
				return tx.SaveModelSnapshot(recoup.ModelSnapshot{Model: "retry_timing", UpTo: upTo, State: []byte(state), At: base})
			})
		}
		save(10, `{"updates": 10}`)
		save(20, `{"updates": 20}`)
		save(15, `{"updates": 15}`) // a slower process: older than the stored one, ignored
		var got recoup.ModelSnapshot
		mustTx(t, s, func(tx recoup.Tx) (err error) { got, err = tx.ModelSnapshot("retry_timing"); return err })
		if got.UpTo != 20 || !jsonEqual(got.State, []byte(`{"updates": 20}`)) || !got.At.Equal(stored(base)) {
			t.Errorf("snapshot = %d %s %s, want the one up to 20", got.UpTo, got.State, got.At)
		}
	})
	t.Run("concurrent observations are read in ID order with none skipped", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		var wg sync.WaitGroup
		const writers, each = 4, 10
		errs := make(chan error, writers*each)
		for range writers {
			wg.Go(func() {
				for range each {
					errs <- s.Tx(t.Context(), func(tx recoup.Tx) error {
						return tx.AddObservation(&recoup.Observation{Model: "m", Kind: recoup.ObserveOutcome, Features: []string{"x"}})
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var got []recoup.Observation
		mustTx(t, s, func(tx recoup.Tx) (err error) { got, err = tx.Observations("m", 0, 1000); return err })
		if len(got) != writers*each {
			t.Fatalf("%d observations, want %d", len(got), writers*each)
		}
		for i := 1; i < len(got); i++ {
			if got[i].ID <= got[i-1].ID {
				t.Fatalf("observations out of order at %d", i)
			}
		}
	})
}

// jsonEqual reports whether a and b encode the same JSON value (PostgreSQL's jsonb does not keep
// the spacing).
func jsonEqual(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
