package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/recoup-hq/recoup"
)

func (t *tx) InsertEvent(ev *recoup.Event) (bool, error) {
	if err := ev.Validate(); err != nil {
		return false, recoup.Errorf(recoup.EINVALID, "insert event: %w", err)
	}
	changed, err := stringsArg(ev.Changed)
	if err != nil {
		return false, wrap(err, "insert event %s", ev.ID)
	}
	payload := ev.Payload
	if payload == nil {
		payload = []byte{} // the column is NOT NULL; nil would bind as NULL
	}
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO events (id, type, object_id, customer_id,
		changed, livemode, created, payload, origin, received_at, status, processed_at, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`,
		ev.ID, ev.Type, ev.ObjectID, ev.CustomerID, changed, ev.Livemode, timeArg(ev.Created),
		payload, string(ev.Origin), timeArg(ev.ReceivedAt), string(ev.Status),
		timeArg(ev.ProcessedAt), ev.Note)
	if err != nil {
		return false, wrap(err, "insert event %s", ev.ID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap(err, "insert event %s", ev.ID)
	}
	if n == 1 && t.events != nil {
		if s, ok := storedEvent(ev); ok {
			t.storedEvents = append(t.storedEvents, s)
		}
	}
	return n == 1, nil
}

func (t *tx) Event(id string) (recoup.Event, error) {
	return getEvent(t.ctx, t.q, id)
}

func (s *Store) Event(ctx context.Context, id string) (recoup.Event, error) {
	if ev, ok := s.db.events.Get(id); ok {
		return ev, nil
	}
	return getEvent(ctx, s.db.reader(), id)
}

func getEvent(ctx context.Context, q querier, id string) (recoup.Event, error) {
	var (
		ev                           recoup.Event
		changed                      sql.NullString
		created, received, processed sql.NullInt64
	)
	err := q.QueryRowContext(ctx, `SELECT id, type, object_id, customer_id, changed, livemode,
		created, payload, origin, received_at, status, processed_at, note
		FROM events WHERE id = ?`, id).Scan(&ev.ID, &ev.Type, &ev.ObjectID, &ev.CustomerID,
		&changed, &ev.Livemode, &created, &ev.Payload, &ev.Origin, &received, &ev.Status,
		&processed, &ev.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return recoup.Event{}, recoup.Errorf(recoup.ENOTFOUND, "event %s: no such event", id)
	}
	if err != nil {
		return recoup.Event{}, wrap(err, "event %s", id)
	}
	if ev.Changed, err = stringsOf(changed); err != nil {
		return recoup.Event{}, wrap(err, "event %s", id)
	}
	ev.Created, ev.ReceivedAt, ev.ProcessedAt = timeOf(created), timeOf(received), timeOf(processed)
	return ev, nil
}

func (t *tx) SetEventStatus(id string, status recoup.EventStatus, note string, at time.Time) error {
	if status == "" {
		return recoup.Errorf(recoup.EINVALID, "set status of event %s: empty status", id)
	}
	res, err := t.q.ExecContext(t.ctx,
		// An ignored event's payload is of no use to recoup: it is not kept (docs/privacy.md).
		`UPDATE events SET status = ?1, note = ?2, processed_at = ?3,
		payload = CASE WHEN ?1 = 'ignored' THEN X'' ELSE payload END WHERE id = ?4`,
		string(status), note, timeArg(at), id)
	if err != nil {
		return wrap(err, "set status of event %s", id)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(err, "set status of event %s", id)
	} else if n == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "set status of event %s: no such event", id)
	}
	if t.events != nil {
		t.statusSet = append(t.statusSet, id)
	}
	return nil
}
