package sim

import (
	"time"

	"github.com/recoup-hq/recoup"
)

// item is something due at a virtual time: an engine job or a world happening.
type item struct {
	at  time.Time
	ns  int64  // at in Unix nanoseconds, set by add: the heap compares numbers, not times
	seq uint64 // tie-break: items due at the same time run in the order they were scheduled
	job recoup.Job
	fn  func()
	try int // for jobs: how many times it failed before
}

// agenda is the virtual-time event queue that replaces River under simulation: a min-heap by
// (time, scheduling order), so a run is deterministic. Each entry holds its keys beside the
// item, so that ordering the heap reads one contiguous slice rather than every item it
// points to.
type agenda struct {
	items []entry
	seq   uint64
}

// entry is an item in the heap with its keys: at in Unix nanoseconds, and the order in which
// items due at the same time were scheduled.
type entry struct {
	ns  int64
	seq uint64
	it  *item
}

func (x entry) before(y entry) bool { return x.ns < y.ns || x.ns == y.ns && x.seq < y.seq }

func (a *agenda) Len() int { return len(a.items) }

// first is the item due first, which next would return.
func (a *agenda) first() *item { return a.items[0].it }

func (a *agenda) add(it *item) {
	a.seq++
	it.seq, it.ns = a.seq, it.at.UnixNano()
	a.items = append(a.items, entry{it.ns, it.seq, it})
	// Up from the new leaf.
	h, j := a.items, len(a.items)-1
	e := h[j]
	for j > 0 {
		i := (j - 1) / 2
		if !e.before(h[i]) {
			break
		}
		h[j] = h[i]
		j = i
	}
	h[j] = e
}

// next removes and returns the item due first.
func (a *agenda) next() *item {
	h := a.items
	n := len(h) - 1
	top, e := h[0].it, h[n]
	h[n] = entry{}
	h = h[:n]
	a.items = h
	if n == 0 {
		return top
	}
	// Down from the root with the last leaf.
	i := 0
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h[r].before(h[j]) {
			j = r
		}
		if !h[j].before(e) {
			break
		}
		h[i] = h[j]
		i = j
	}
	h[i] = e
	return top
}
