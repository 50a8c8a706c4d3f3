package sim

import (
	"container/heap"
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
// (time, scheduling order), so a run is deterministic.
type agenda struct {
	items []*item
	seq   uint64
}

func (a *agenda) Len() int { return len(a.items) }
func (a *agenda) Less(i, j int) bool {
	x, y := a.items[i], a.items[j]
	if x.ns != y.ns {
		return x.ns < y.ns
	}
	return x.seq < y.seq
}
func (a *agenda) Swap(i, j int) { a.items[i], a.items[j] = a.items[j], a.items[i] }
func (a *agenda) Push(x any)    { a.items = append(a.items, x.(*item)) }
func (a *agenda) Pop() any {
	n := len(a.items)
	it := a.items[n-1]
	a.items[n-1] = nil
	a.items = a.items[:n-1]
	return it
}

func (a *agenda) add(it *item) {
	a.seq++
	it.seq, it.ns = a.seq, it.at.UnixNano()
	heap.Push(a, it)
}

func (a *agenda) next() *item { return heap.Pop(a).(*item) }
