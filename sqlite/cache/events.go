package cache

import (
	"bytes"
	"slices"
	"sync"

	"github.com/recoup-hq/recoup"
)

// The pending events. Every event is stored by one transaction and read back, by id, by the
// job that processes it (a full row with its payload: 3% of the simulator's CPU). On a scratch
// database, the only writer of its file, every change of an event goes through InsertEvent or
// SetEventStatus, so the store keeps the events it stored that have no status set since, as
// their rows read, and the Store's read of one needs no query. An event leaves once a status is
// set, so the map follows the events waiting for their job. Reads inside a transaction, which
// may see its own uncommitted changes, still query.

// Events maps an event's id to its committed content. A nil *Events holds nothing.
type Events struct {
	mu sync.Mutex
	m  map[string]recoup.Event
}

// NewEvents returns an empty map.
func NewEvents() *Events { return &Events{m: map[string]recoup.Event{}} }

// Get returns the event, if held.
func (p *Events) Get(id string) (recoup.Event, bool) {
	if p == nil {
		return recoup.Event{}, false
	}
	p.mu.Lock()
	ev, ok := p.m[id]
	p.mu.Unlock()
	if !ok {
		return recoup.Event{}, false
	}
	return copyEvent(ev), true
}

// Committed applies a committed transaction's changes: the events it stored (owned by the map
// from now on), then the events whose status it set.
func (p *Events) Committed(stored []recoup.Event, statusSet []string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range stored {
		p.m[ev.ID] = ev
	}
	for _, id := range statusSet {
		delete(p.m, id)
	}
}

func copyEvent(ev recoup.Event) recoup.Event {
	ev.Changed = slices.Clone(ev.Changed)
	ev.Payload = bytes.Clone(ev.Payload)
	return ev
}
