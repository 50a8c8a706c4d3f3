package sqlite

import (
	"context"
	"fmt"

	"github.com/recoup-hq/recoup"
)

// CaseDetail reads the case and its history in one read transaction on the read pool, as
// ReadAnalytics does: the transaction's snapshot is taken at its first read (the case's
// version) and kept to the end, so an engine step that commits meanwhile (a state change, its
// attempt and timeline entries, all in one transaction) is in every part of the answer or in
// none. The case comes through the case cache by the version the snapshot reads, so it is the
// snapshot's, never a cached one newer or older. On a scratch database the reads share the
// writer's one connection and are not isolated (see ReadAnalytics).
func (s *Store) CaseDetail(ctx context.Context, id int64) (d recoup.CaseDetail, err error) {
	err = s.snapshot(ctx, fmt.Sprintf("read of case %d", id), func(q querier) error {
		d, err = s.caseDetail(ctx, q, id)
		return err
	})
	return d, err
}

// caseDetail reads the case and its history through q.
func (s *Store) caseDetail(ctx context.Context, q querier, id int64) (recoup.CaseDetail, error) {
	c, read, fromRow, err := readCase(ctx, q, s.db.cases, nil, `id = ?`, id)
	if err != nil {
		return recoup.CaseDetail{}, wrap(err, "case %d", id)
	}
	if fromRow {
		// Committed: a read-only transaction, or the read pool, sees committed rows only.
		s.db.cases.Put(map[int64]recoup.Case{read.ID: read})
	}
	if s.afterCaseRead != nil {
		s.afterCaseRead()
	}
	d := recoup.CaseDetail{Case: c}
	if d.Timeline, err = listTimeline(ctx, q, id, true); err != nil {
		return recoup.CaseDetail{}, err
	}
	if d.Attempts, err = listAttempts(ctx, q, id, true); err != nil {
		return recoup.CaseDetail{}, err
	}
	if d.Messages, err = listMessages(ctx, q, id, true); err != nil {
		return recoup.CaseDetail{}, err
	}
	return d, nil
}
