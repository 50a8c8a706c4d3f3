package sqlite

import (
	"bytes"
	"database/sql"
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

// pendingEvents maps an event's id to its committed content. It is safe for concurrent use; it
// holds copies and hands out copies.
type pendingEvents struct {
	mu sync.Mutex
	m  map[string]recoup.Event
}

// get returns the event, if held.
func (p *pendingEvents) get(id string) (recoup.Event, bool) {
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

// committed applies a committed transaction's changes: the events it stored (owned by the map
// from now on), then the events whose status it set.
func (p *pendingEvents) committed(stored []recoup.Event, statusSet []string) {
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

// storedEvent returns ev as a read of the row InsertEvent wrote for it returns it (times to the
// microsecond in UTC, Changed through its JSON), and whether it can tell: an empty payload is
// left to the row.
func storedEvent(ev *recoup.Event) (recoup.Event, bool) {
	if len(ev.Payload) == 0 {
		return recoup.Event{}, false
	}
	arg, err := stringsArg(ev.Changed)
	if err != nil {
		return recoup.Event{}, false
	}
	var changed sql.NullString
	if s, ok := arg.(string); ok {
		changed = sql.NullString{String: s, Valid: true}
	}
	s := *ev
	if s.Changed, err = stringsOf(changed); err != nil {
		return recoup.Event{}, false
	}
	s.Payload = bytes.Clone(ev.Payload)
	s.Created, s.ReceivedAt, s.ProcessedAt = storedTime(ev.Created), storedTime(ev.ReceivedAt), storedTime(ev.ProcessedAt)
	return s, true
}
