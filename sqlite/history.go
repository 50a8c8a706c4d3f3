package sqlite

import (
	"context"
	"database/sql"

	"github.com/recoup-hq/recoup"
)

// A case's history: its timeline entries and its charge attempts.

func (s *Store) Timeline(ctx context.Context, caseID int64) ([]recoup.TimelineEntry, error) {
	return listTimeline(ctx, s.db.reader(), caseID, false)
}

// listTimeline returns the timeline of a case in append order. exists says the case is known
// to exist (see listMessages).
func listTimeline(ctx context.Context, q querier, caseID int64, exists bool) ([]recoup.TimelineEntry, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT id, case_id, at, kind, summary, detail FROM timeline WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, wrap(err, "timeline of case %d", caseID)
	}
	defer rows.Close()
	entries := []recoup.TimelineEntry{}
	for rows.Next() {
		var e recoup.TimelineEntry
		var at sql.NullInt64
		var detail sql.NullString
		if err := rows.Scan(&e.ID, &e.CaseID, &at, &e.Kind, &e.Summary, &detail); err != nil {
			return nil, wrap(err, "timeline of case %d", caseID)
		}
		e.At, e.Detail = timeOf(at), rawJSONOf(detail)
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "timeline of case %d", caseID)
	}
	if len(entries) == 0 && !exists {
		if err := caseExists(ctx, q, caseID); err != nil {
			return nil, wrap(err, "timeline of case %d", caseID)
		}
	}
	return entries, nil
}

// caseExists returns ENOTFOUND if the case does not exist. Listings of a case's rows call it
// when they find none, to tell an empty history from a wrong ID.
func caseExists(ctx context.Context, q querier, id int64) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "no such case")
	}
	return nil
}

func (t *tx) InsertAttempt(a *recoup.Attempt) error {
	if a.Source == "" || a.Status == "" {
		return recoup.Errorf(recoup.EINVALID, "insert attempt %d of case %d: source and status are required", a.N, a.CaseID)
	}
	decline, err := declineArg(a.Decline)
	if err != nil {
		return wrap(err, "insert attempt %d of case %d", a.N, a.CaseID)
	}
	id, inserted, err := insertID(t.ctx, t.q, `INSERT INTO attempts
		(case_id, n, source, idempotency_key, payment_method_id, card, status, decline, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (case_id, source, n) DO NOTHING`,
		a.CaseID, a.N, string(a.Source), a.IdempotencyKey, a.PaymentMethodID, string(a.Card), string(a.Status),
		decline, timeArg(a.StartedAt), timeArg(a.FinishedAt))
	if err == nil && !inserted {
		return recoup.Errorf(recoup.ECONFLICT, "insert %s attempt %d of case %d: the attempt exists", a.Source, a.N, a.CaseID)
	}
	if isForeignKey(err) {
		return recoup.Errorf(recoup.ENOTFOUND, "insert attempt %d of case %d: no such case", a.N, a.CaseID)
	}
	if err != nil {
		return wrap(err, "insert %s attempt %d of case %d", a.Source, a.N, a.CaseID)
	}
	a.ID = id
	return nil
}

func (t *tx) UpdateAttempt(a *recoup.Attempt) error {
	decline, err := declineArg(a.Decline)
	if err != nil {
		return wrap(err, "update attempt %d", a.ID)
	}
	res, err := t.q.ExecContext(t.ctx,
		`UPDATE attempts SET status = ?, card = ?, decline = ?, finished_at = ? WHERE id = ?`,
		string(a.Status), string(a.Card), decline, timeArg(a.FinishedAt), a.ID)
	if err != nil {
		return wrap(err, "update attempt %d", a.ID)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(err, "update attempt %d", a.ID)
	} else if n == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "update attempt %d: no such attempt", a.ID)
	}
	return nil
}

func (t *tx) Attempts(caseID int64) ([]recoup.Attempt, error) {
	return listAttempts(t.ctx, t.q, caseID, t.knows(caseID))
}

func (s *Store) Attempts(ctx context.Context, caseID int64) ([]recoup.Attempt, error) {
	return listAttempts(ctx, s.db.reader(), caseID, false)
}

// listAttempts returns the attempts of a case in the order they were recorded. exists says the
// case is known to exist (see listMessages).
func listAttempts(ctx context.Context, q querier, caseID int64, exists bool) ([]recoup.Attempt, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, case_id, n, source, idempotency_key,
		payment_method_id, card, status, decline, started_at, finished_at
		FROM attempts WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, wrap(err, "attempts of case %d", caseID)
	}
	defer rows.Close()
	attempts := []recoup.Attempt{}
	for rows.Next() {
		var a recoup.Attempt
		var decline sql.NullString
		var started, finished sql.NullInt64
		if err := rows.Scan(&a.ID, &a.CaseID, &a.N, &a.Source, &a.IdempotencyKey,
			&a.PaymentMethodID, &a.Card, &a.Status, &decline, &started, &finished); err != nil {
			return nil, wrap(err, "attempts of case %d", caseID)
		}
		if a.Decline, err = declineOf(decline); err != nil {
			return nil, wrap(err, "attempts of case %d", caseID)
		}
		a.StartedAt, a.FinishedAt = timeOf(started), timeOf(finished)
		attempts = append(attempts, a)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "attempts of case %d", caseID)
	}
	if len(attempts) == 0 && !exists {
		if err := caseExists(ctx, q, caseID); err != nil {
			return nil, wrap(err, "attempts of case %d", caseID)
		}
	}
	return attempts, nil
}
