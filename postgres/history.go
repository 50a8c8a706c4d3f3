package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// A case's history: its timeline entries and its charge attempts.

func (t *tx) AppendTimeline(e *recoup.TimelineEntry) error {
	if err := e.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "append timeline of case %d: %w", e.CaseID, err)
	}
	err := t.tx.QueryRow(t.ctx,
		`INSERT INTO timeline (case_id, at, kind, summary, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		e.CaseID, timeArg(e.At), string(e.Kind), e.Summary, rawJSONArg(e.Detail)).Scan(&e.ID)
	if isForeignKey(err) {
		return recoup.Errorf(recoup.ENOTFOUND, "append timeline of case %d: no such case", e.CaseID)
	}
	if err != nil {
		return wrap(err, "append timeline of case %d", e.CaseID)
	}
	return nil
}

func (s *Store) Timeline(ctx context.Context, caseID int64) ([]recoup.TimelineEntry, error) {
	return listTimeline(ctx, s.db.pool, caseID)
}

// listTimeline returns the timeline of a case in append order.
func listTimeline(ctx context.Context, q querier, caseID int64) ([]recoup.TimelineEntry, error) {
	rows, err := q.Query(ctx,
		`SELECT id, case_id, at, kind, summary, detail FROM timeline WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, wrap(err, "timeline of case %d", caseID)
	}
	entries, err := collect(rows, func(r scanner) (recoup.TimelineEntry, error) {
		var e recoup.TimelineEntry
		var at *time.Time
		var detail []byte
		if err := r.Scan(&e.ID, &e.CaseID, &at, &e.Kind, &e.Summary, &detail); err != nil {
			return e, err
		}
		e.At = timeOf(at)
		if detail != nil {
			e.Detail = detail
		}
		return e, nil
	})
	if err != nil {
		return nil, wrap(err, "timeline of case %d", caseID)
	}
	if len(entries) == 0 {
		if err := caseExists(ctx, q, caseID); err != nil {
			return nil, wrap(err, "timeline of case %d", caseID)
		}
	}
	return entries, nil
}

// caseExists returns ENOTFOUND if the case does not exist. Listings of a case's rows call it
// when they find none, to tell an empty history from a wrong ID.
func caseExists(ctx context.Context, q querier, id int64) error {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
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
	// ON CONFLICT DO NOTHING, not a unique violation that would abort the transaction.
	err = t.tx.QueryRow(t.ctx, `INSERT INTO attempts
		(case_id, n, source, idempotency_key, payment_method_id, card, status, decline, started_at, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (case_id, source, n) DO NOTHING
		RETURNING id`,
		a.CaseID, a.N, string(a.Source), a.IdempotencyKey, a.PaymentMethodID, string(a.Card), string(a.Status),
		decline, timeArg(a.StartedAt), timeArg(a.FinishedAt)).Scan(&a.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Errorf(recoup.ECONFLICT, "insert %s attempt %d of case %d: the attempt exists", a.Source, a.N, a.CaseID)
	}
	if isForeignKey(err) {
		return recoup.Errorf(recoup.ENOTFOUND, "insert attempt %d of case %d: no such case", a.N, a.CaseID)
	}
	if err != nil {
		return wrap(err, "insert %s attempt %d of case %d", a.Source, a.N, a.CaseID)
	}
	return nil
}

func (t *tx) UpdateAttempt(a *recoup.Attempt) error {
	decline, err := declineArg(a.Decline)
	if err != nil {
		return wrap(err, "update attempt %d", a.ID)
	}
	tag, err := t.tx.Exec(t.ctx,
		`UPDATE attempts SET status = $1, card = $2, decline = $3, finished_at = $4 WHERE id = $5`,
		string(a.Status), string(a.Card), decline, timeArg(a.FinishedAt), a.ID)
	if err != nil {
		return wrap(err, "update attempt %d", a.ID)
	}
	if tag.RowsAffected() == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "update attempt %d: no such attempt", a.ID)
	}
	return nil
}

func (t *tx) Attempts(caseID int64) ([]recoup.Attempt, error) {
	return listAttempts(t.ctx, t.tx, caseID)
}

func (s *Store) Attempts(ctx context.Context, caseID int64) ([]recoup.Attempt, error) {
	return listAttempts(ctx, s.db.pool, caseID)
}

// listAttempts returns the attempts of a case in the order they were recorded.
func listAttempts(ctx context.Context, q querier, caseID int64) ([]recoup.Attempt, error) {
	rows, err := q.Query(ctx, `SELECT id, case_id, n, source, idempotency_key,
		payment_method_id, card, status, decline, started_at, finished_at
		FROM attempts WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, wrap(err, "attempts of case %d", caseID)
	}
	attempts, err := collect(rows, func(r scanner) (recoup.Attempt, error) {
		var a recoup.Attempt
		var decline []byte
		var started, finished *time.Time
		err := r.Scan(&a.ID, &a.CaseID, &a.N, &a.Source, &a.IdempotencyKey,
			&a.PaymentMethodID, &a.Card, &a.Status, &decline, &started, &finished)
		if err != nil {
			return a, err
		}
		a.StartedAt, a.FinishedAt = timeOf(started), timeOf(finished)
		a.Decline, err = declineOf(decline)
		return a, err
	})
	if err != nil {
		return nil, wrap(err, "attempts of case %d", caseID)
	}
	if len(attempts) == 0 {
		if err := caseExists(ctx, q, caseID); err != nil {
			return nil, wrap(err, "attempts of case %d", caseID)
		}
	}
	return attempts, nil
}
