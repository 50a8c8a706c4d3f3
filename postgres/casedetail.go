package postgres

import (
	"context"
	"fmt"

	"github.com/recoup-hq/recoup"
)

// CaseDetail reads the case and its history in one REPEATABLE READ, READ ONLY transaction, as
// ReadAnalytics does: every query sees the snapshot taken at the first, so an engine step that
// commits meanwhile (a state change, its attempt and timeline entries, all in one transaction)
// is in every part of the answer or in none.
func (s *Store) CaseDetail(ctx context.Context, id int64) (d recoup.CaseDetail, err error) {
	err = s.snapshot(ctx, fmt.Sprintf("read of case %d", id), func(q querier) error {
		c, err := getCase(ctx, q, `id = $1`, id)
		if err != nil {
			return wrap(err, "case %d", id)
		}
		if s.afterCaseRead != nil {
			s.afterCaseRead()
		}
		d.Case = c
		if d.Timeline, err = listTimeline(ctx, q, id); err != nil {
			return err
		}
		if d.Attempts, err = listAttempts(ctx, q, id); err != nil {
			return err
		}
		d.Messages, err = listMessages(ctx, q, id)
		return err
	})
	if err != nil {
		return recoup.CaseDetail{}, err
	}
	return d, nil
}
