package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The agenda gives its items by time, and items due at the same time in the order they were
// added, however adds and takes interleave.
func TestAgendaOrdersByTimeThenScheduling(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var a agenda
	var pending []*item // the reference: every item not yet taken
	var last *item
	for step := range 20000 {
		if r.IntN(3) > 0 || a.Len() == 0 {
			// Few distinct times, so that many items are due at once; none before the last taken.
			at := base.Add(time.Duration(r.IntN(50)) * time.Minute)
			if last != nil && at.Before(last.at) {
				at = last.at
			}
			it := &item{at: at, try: step}
			a.add(it)
			pending = append(pending, it)
			continue
		}
		got := a.next()
		i := slices.IndexFunc(pending, func(x *item) bool { return x == got })
		if i < 0 {
			t.Fatalf("step %d: took an item twice or one never added", step)
		}
		for _, x := range pending {
			if x.at.Before(got.at) || x.at.Equal(got.at) && x.seq < got.seq {
				t.Fatalf("step %d: took %s #%d before %s #%d", step, got.at, got.seq, x.at, x.seq)
			}
		}
		pending = slices.Delete(pending, i, i+1)
		last = got
		if a.Len() != len(pending) {
			t.Fatalf("step %d: %d items left, want %d", step, a.Len(), len(pending))
		}
		if a.Len() > 0 && a.first() != a.items[0].it {
			t.Fatal("first is not the root")
		}
	}
}
