package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// CaseDetail reads the case and its history in one REPEATABLE READ, READ ONLY transaction, as
// ReadAnalytics does: every query sees the snapshot taken at the first, so an engine step that
// commits meanwhile (a state change, its attempt and timeline entries, all in one transaction)
// is in every part of the answer or in none.
func (s *Store) CaseDetail(ctx context.Context, id int64) (recoup.CaseDetail, error) {
	tx, err := s.db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return recoup.CaseDetail{}, wrap(err, "begin read of case %d", id)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	c, err := getCase(ctx, tx, `id = $1`, id)
	if err != nil {
		return recoup.CaseDetail{}, wrap(err, "case %d", id)
	}
	if s.afterCaseRead != nil {
		s.afterCaseRead()
	}
	d := recoup.CaseDetail{Case: c}
	if d.Timeline, err = listTimeline(ctx, tx, id); err != nil {
		return recoup.CaseDetail{}, err
	}
	if d.Attempts, err = listAttempts(ctx, tx, id); err != nil {
		return recoup.CaseDetail{}, err
	}
	if d.Messages, err = listMessages(ctx, tx, id); err != nil {
		return recoup.CaseDetail{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return recoup.CaseDetail{}, wrap(err, "end read of case %d", id)
	}
	return d, nil
}
