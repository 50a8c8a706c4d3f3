package sqlite

import (
	"bytes"
	"database/sql"

	"github.com/recoup-hq/recoup"
)

// An event as the pending events (package cache) hold it.

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
