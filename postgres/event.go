package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

func (t *tx) InsertEvent(ev *recoup.Event) (bool, error) {
	if err := ev.Validate(); err != nil {
		return false, recoup.Errorf(recoup.EINVALID, "insert event: %w", err)
	}
	payload := ev.Payload
	if payload == nil {
		payload = []byte{} // the column is NOT NULL; nil would be sent as NULL
	}
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO events (id, type, object_id, customer_id,
		changed, livemode, created, payload, origin, received_at, status, processed_at, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO NOTHING`,
		ev.ID, ev.Type, ev.ObjectID, ev.CustomerID, stringsArg(ev.Changed), ev.Livemode,
		timeArg(ev.Created), payload, string(ev.Origin), timeArg(ev.ReceivedAt),
		string(ev.Status), timeArg(ev.ProcessedAt), ev.Note)
	if err != nil {
		return false, wrap(err, "insert event %s", ev.ID)
	}
	return tag.RowsAffected() == 1, nil
}

func (t *tx) Event(id string) (recoup.Event, error) {
	return getEvent(t.ctx, t.tx, id)
}

func (s *Store) Event(ctx context.Context, id string) (recoup.Event, error) {
	return getEvent(ctx, s.db.pool, id)
}

func getEvent(ctx context.Context, q querier, id string) (recoup.Event, error) {
	var (
		ev                           recoup.Event
		created, received, processed *time.Time
	)
	err := q.QueryRow(ctx, `SELECT id, type, object_id, customer_id, changed, livemode,
		created, payload, origin, received_at, status, processed_at, note
		FROM events WHERE id = $1`, id).Scan(&ev.ID, &ev.Type, &ev.ObjectID, &ev.CustomerID,
		&ev.Changed, &ev.Livemode, &created, &ev.Payload, &ev.Origin, &received, &ev.Status,
		&processed, &ev.Note)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Event{}, recoup.Errorf(recoup.ENOTFOUND, "event %s: no such event", id)
	}
	if err != nil {
		return recoup.Event{}, wrap(err, "event %s", id)
	}
	ev.Created, ev.ReceivedAt, ev.ProcessedAt = timeOf(created), timeOf(received), timeOf(processed)
	return ev, nil
}

func (t *tx) SetEventStatus(id string, status recoup.EventStatus, note string, at time.Time) error {
	if status == "" {
		return recoup.Errorf(recoup.EINVALID, "set status of event %s: empty status", id)
	}
	tag, err := t.tx.Exec(t.ctx,
		// An ignored event's payload is of no use to recoup: it is not kept (docs/privacy.md).
		`UPDATE events SET status = $1, note = $2, processed_at = $3,
		payload = CASE WHEN $1 = 'ignored' THEN ''::bytea ELSE payload END WHERE id = $4`,
		string(status), note, timeArg(at), id)
	if err != nil {
		return wrap(err, "set status of event %s", id)
	}
	if tag.RowsAffected() == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "set status of event %s: no such event", id)
	}
	return nil
}
