package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/memstore"
)

// The timelines of all cases share one log (mapped outside the heap on Linux): entries of cases written in turn, some larger than
// the log's chunks, some rolled back, must each come back with their own case, in order, whole.
func TestTimelinesInterleaved(t *testing.T) {
	s := memstore.New(nil)
	ctx := context.Background()
	var ids []int64
	mustTx(t, s, func(tx recoup.Tx) error {
		for i := range 3 {
			c := newCase(fmt.Sprintf("in_%d", i), "cus_1")
			if err := tx.CreateCase(&c); err != nil {
				return err
			}
			ids = append(ids, c.ID)
		}
		return nil
	})
	want := map[int64][]recoup.TimelineEntry{}
	kinds := []recoup.EntryKind{recoup.EntryEvent, recoup.EntryDecision, recoup.EntryAttempt}
	appendTo := func(tx recoup.Tx, k int, n int) (recoup.TimelineEntry, error) {
		e := recoup.TimelineEntry{CaseID: ids[k], At: at.Add(time.Duration(n) * time.Second), Kind: kinds[n%3],
			Summary: fmt.Sprintf("entry %d of case %d", n, k), Detail: []byte(fmt.Sprintf(`{"n":%d}`, n))}
		switch {
		case n == 57:
			e.Summary = strings.Repeat("longer ", 6_000_000) // more than a chunk of the log
		case n%50 == 7 || n%50 == 3: // n%50 == 3: also written and rolled back
			e.Summary = strings.Repeat("long ", 2_000_000) // a few fill a chunk of the log
		}
		if n%11 == 0 {
			e.At, e.Detail = time.Time{}, nil
		}
		err := tx.AppendTimeline(&e)
		return e, err
	}
	refused := errors.New("refused")
	for n := range 400 {
		k := n % len(ids)
		var kept recoup.TimelineEntry
		err := s.Tx(ctx, func(tx recoup.Tx) error {
			e, err := appendTo(tx, k, n)
			if err != nil {
				return err
			}
			kept = e
			if n%5 == 3 { // also written to another case, then all undone
				if _, err := appendTo(tx, (k+1)%len(ids), n+1000); err != nil {
					return err
				}
				return refused
			}
			return nil
		})
		switch {
		case n%5 == 3 && errors.Is(err, refused):
		case err != nil:
			t.Fatalf("entry %d: %v", n, err)
		default:
			want[ids[k]] = append(want[ids[k]], kept)
		}
	}
	for _, id := range ids {
		got, err := s.Timeline(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want[id] {
			if w := &want[id][i]; !w.At.IsZero() {
				w.At = w.At.UTC()
			}
		}
		if len(got) != len(want[id]) {
			t.Fatalf("case %d: %d entries, want %d", id, len(got), len(want[id]))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want[id][i]) {
				t.Errorf("case %d, entry %d:\n got %.200v\nwant %.200v", id, i, got[i], want[id][i])
			}
		}
	}
}
