package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
)

// storedEvent returns a copy of ev as the store keeps it.
func storedEvent(ev *recoup.Event) recoup.Event {
	s := *ev
	if len(s.Changed) == 0 {
		s.Changed = nil
	} else {
		s.Changed = slices.Clone(s.Changed)
	}
	s.Payload = append([]byte{}, ev.Payload...)
	s.Created, s.ReceivedAt, s.ProcessedAt = stored(s.Created), stored(s.ReceivedAt), stored(s.ProcessedAt)
	return s
}

// copyEvent returns ev with its own slices.
func copyEvent(ev *recoup.Event) recoup.Event {
	c := *ev
	c.Changed = slices.Clone(ev.Changed)
	c.Payload = append([]byte{}, ev.Payload...)
	return c
}

func (t *tx) InsertEvent(ev *recoup.Event) (bool, error) {
	if err := t.live("insert event"); err != nil {
		return false, err
	}
	if err := ev.Validate(); err != nil {
		return false, recoup.Errorf(recoup.EINVALID, "insert event: %w", err)
	}
	if _, ok := t.d.events[ev.ID]; ok {
		return false, nil
	}
	s := storedEvent(ev)
	setKey(t, t.d.events, ev.ID, &s)
	return true, nil
}

func (t *tx) Event(id string) (recoup.Event, error) {
	if err := t.live("read event"); err != nil {
		return recoup.Event{}, err
	}
	return t.d.event(id)
}

func (s *Store) Event(ctx context.Context, id string) (recoup.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d.event(id)
}

func (d *data) event(id string) (recoup.Event, error) {
	ev, ok := d.events[id]
	if !ok {
		return recoup.Event{}, recoup.Errorf(recoup.ENOTFOUND, "event %s: no such event", id)
	}
	return copyEvent(ev), nil
}

func (t *tx) SetEventStatus(id string, status recoup.EventStatus, note string, at time.Time) error {
	if err := t.live("set event status"); err != nil {
		return err
	}
	if status == "" {
		return recoup.Errorf(recoup.EINVALID, "set status of event %s: empty status", id)
	}
	ev, ok := t.d.events[id]
	if !ok {
		return recoup.Errorf(recoup.ENOTFOUND, "set status of event %s: no such event", id)
	}
	n := *ev
	n.Status, n.Note, n.ProcessedAt = status, note, stored(at)
	if status == recoup.EventIgnored {
		// An ignored event's payload is of no use to recoup: it is not kept (docs/privacy.md).
		n.Payload = []byte{}
	}
	setKey(t, t.d.events, id, &n)
	return nil
}
