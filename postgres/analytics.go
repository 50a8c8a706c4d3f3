package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

var _ recoup.AnalyticsStore = (*Store)(nil)

// Overview reads ranges of the cases_overview index (which covers every column the case
// queries use) and of messages_created: its cost grows with the cases opened in the period.
func (s *Store) Overview(ctx context.Context, from, to time.Time) (recoup.Overview, error) {
	o := recoup.NewOverview(from, to)
	rows, err := s.db.pool.Query(ctx, `SELECT currency, state, category, recovered_by, count(*), sum(amount)::bigint
		FROM cases WHERE created_at >= $1 AND created_at < $2
		GROUP BY currency, state, category, recovered_by`, from, to)
	if err != nil {
		return o, wrap(err, "overview")
	}
	groups, err := collect(rows, func(r scanner) (recoup.OverviewRow, error) {
		var row recoup.OverviewRow
		err := r.Scan(&row.Currency, &row.State, &row.Category, &row.RecoveredBy, &row.Count, &row.Amount)
		return row, err
	})
	if err != nil {
		return o, wrap(err, "overview")
	}
	for _, g := range groups {
		o.AddCases(g)
	}

	type pair struct{ k, n int64 }
	scanPair := func(r scanner) (pair, error) {
		var p pair
		err := r.Scan(&p.k, &p.n)
		return p, err
	}
	rows, err = s.db.pool.Query(ctx, `SELECT floor(extract(epoch FROM resolved_at - created_at) / 3600)::bigint, count(*)
		FROM cases WHERE created_at >= $1 AND created_at < $2 AND state = $3 AND resolved_at IS NOT NULL
		GROUP BY 1`, from, to, string(recoup.StateRecovered))
	if err != nil {
		return o, wrap(err, "overview: time to recovery")
	}
	hours, err := collect(rows, scanPair)
	if err != nil {
		return o, wrap(err, "overview: time to recovery")
	}
	for _, h := range hours {
		o.AddRecoveries(h.k, h.n)
	}

	rows, err = s.db.pool.Query(ctx, `SELECT status, count(*) FROM messages
		WHERE created_at >= $1 AND created_at < $2 GROUP BY status`, from, to)
	if err != nil {
		return o, wrap(err, "overview: messages")
	}
	type msgCount struct {
		st recoup.MessageStatus
		n  int64
	}
	counts, err := collect(rows, func(r scanner) (msgCount, error) {
		var m msgCount
		err := r.Scan(&m.st, &m.n)
		return m, err
	})
	if err != nil {
		return o, wrap(err, "overview: messages")
	}
	for _, m := range counts {
		o.AddMessages(m.st, m.n)
	}
	return o, nil
}

func (s *Store) SearchCases(ctx context.Context, q recoup.CaseQuery) (recoup.CasePage, error) {
	if err := q.Validate(); err != nil {
		return recoup.CasePage{}, err
	}
	limit := q.Limit
	if limit == 0 {
		limit = 50
	}
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if len(q.States) > 0 {
		states := make([]string, len(q.States))
		for i, st := range q.States {
			states[i] = string(st)
		}
		add(`state = ANY($%d)`, states)
	}
	if q.Category != "" {
		add(`category = $%d`, string(q.Category))
	}
	if q.RecoveredBy != "" {
		add(`recovered_by = $%d`, string(q.RecoveredBy))
	}
	if q.Currency != "" {
		add(`currency = $%d`, strings.ToLower(q.Currency))
	}
	if q.MinAmount > 0 {
		add(`amount >= $%d`, q.MinAmount)
	}
	if q.MaxAmount > 0 {
		add(`amount <= $%d`, q.MaxAmount)
	}
	if !q.CreatedFrom.IsZero() {
		add(`created_at >= $%d`, q.CreatedFrom)
	}
	if !q.CreatedTo.IsZero() {
		add(`created_at < $%d`, q.CreatedTo)
	}
	if q.CustomerEmail != "" {
		add(`lower(customer_email) = lower($%d)`, q.CustomerEmail) // the expression index cases_email
	}
	if q.Before != 0 {
		add(`id < $%d`, q.Before)
	}
	query := `SELECT ` + caseColumns + ` FROM cases`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, limit+1)
	query += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := s.db.pool.Query(ctx, query, args...)
	if err != nil {
		return recoup.CasePage{}, wrap(err, "search cases")
	}
	cases, err := collect(rows, scanCase)
	if err != nil {
		return recoup.CasePage{}, wrap(err, "search cases")
	}
	page := recoup.CasePage{Cases: cases}
	if len(cases) > limit {
		page.Cases = cases[:limit]
		page.Next = cases[limit-1].ID
	}
	return page, nil
}

func (s *Store) Intake(ctx context.Context) (recoup.IntakeStatus, error) {
	var st recoup.IntakeStatus
	var at *time.Time
	err := s.db.pool.QueryRow(ctx, `SELECT received_at, type FROM events
		WHERE received_at IS NOT NULL ORDER BY received_at DESC LIMIT 1`).Scan(&at, &st.LastType)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return st, wrap(err, "intake status")
	}
	st.LastReceivedAt = timeOf(at)
	err = s.db.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM events WHERE status = $1), (SELECT count(*) FROM events WHERE status = $2)`,
		string(recoup.EventPending), string(recoup.EventFailed)).Scan(&st.Pending, &st.Failed)
	return st, wrapNil(err, "intake status")
}
