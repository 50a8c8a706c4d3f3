package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

var _ recoup.AnalyticsStore = (*Store)(nil)

// ReadAnalytics runs read in one REPEATABLE READ, READ ONLY transaction: every query in it
// sees the snapshot taken at its first statement.
func (s *Store) ReadAnalytics(ctx context.Context, read func(recoup.AnalyticsReader) error) error {
	return s.snapshot(ctx, "analytics read", func(q querier) error {
		return read(analyticsReader{ctx: ctx, q: q})
	})
}

// snapshot runs read in one REPEATABLE READ READ ONLY transaction: every query sees the
// database as of the first. what names the read in errors.
func (s *Store) snapshot(ctx context.Context, what string, read func(querier) error) error {
	tx, err := s.db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return wrap(err, "begin %s", what)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := read(tx); err != nil {
		return err
	}
	return wrapNil(tx.Commit(ctx), "end "+what)
}

// analyticsReader runs the analytics queries on one snapshot: a read transaction.
type analyticsReader struct {
	ctx context.Context
	q   querier
}

func (s *Store) Overview(ctx context.Context, from, to time.Time) (o recoup.Overview, err error) {
	err = s.ReadAnalytics(ctx, func(r recoup.AnalyticsReader) error {
		o, err = r.Overview(from, to)
		return err
	})
	return o, err
}

func (s *Store) Intake(ctx context.Context) (st recoup.IntakeStatus, err error) {
	err = s.ReadAnalytics(ctx, func(r recoup.AnalyticsReader) error {
		st, err = r.Intake()
		return err
	})
	return st, err
}

// Overview reads the whole UTC days of the period from the rollup tables, which triggers keep
// (migration 00004), and the hours before the first midnight and after the last from the cases
// and messages themselves, through covering indexes. Its cost grows with the number of days
// and of distinct (currency, state, category, mechanism) groups, not with the number of cases.
func (r analyticsReader) Overview(from, to time.Time) (recoup.Overview, error) {
	o := recoup.NewOverview(from, to)
	const day = 24 * time.Hour
	first := from.UTC().Truncate(day)
	if first.Before(from) {
		first = first.Add(day)
	}
	end := to.UTC().Truncate(day)
	if from.Unix() < 0 || !first.Before(end) {
		return o, r.overviewRange(&o, from, to)
	}
	if err := r.overviewRange(&o, from, first); err != nil {
		return o, err
	}
	if err := r.overviewDays(&o, first.Unix()/86400, end.Unix()/86400); err != nil {
		return o, err
	}
	return o, r.overviewRange(&o, end, to)
}

type pair struct{ k, n int64 }

func scanPair(r scanner) (pair, error) {
	var p pair
	err := r.Scan(&p.k, &p.n)
	return p, err
}

type statusCount struct {
	status string
	n      int64
}

func scanStatusCount(r scanner) (statusCount, error) {
	var c statusCount
	err := r.Scan(&c.status, &c.n)
	return c, err
}

func scanOverviewRow(r scanner) (recoup.OverviewRow, error) {
	var row recoup.OverviewRow
	err := r.Scan(&row.Currency, &row.State, &row.Category, &row.RecoveredBy, &row.Count, &row.Amount)
	return row, err
}

// overviewQueries runs the three queries of an overview part and adds their rows to o.
func (r analyticsReader) overviewQueries(o *recoup.Overview, cases, recoveries, messages string, args ...any) error {
	rows, err := r.q.Query(r.ctx, cases, args...)
	if err != nil {
		return wrap(err, "overview")
	}
	groups, err := collect(rows, scanOverviewRow)
	if err != nil {
		return wrap(err, "overview")
	}
	for _, g := range groups {
		o.AddCases(g)
	}
	rows, err = r.q.Query(r.ctx, recoveries, args...)
	if err != nil {
		return wrap(err, "overview: time to recovery")
	}
	hours, err := collect(rows, scanPair)
	if err != nil {
		return wrap(err, "overview: time to recovery")
	}
	for _, h := range hours {
		o.AddRecoveries(h.k, h.n)
	}
	rows, err = r.q.Query(r.ctx, messages, args...)
	if err != nil {
		return wrap(err, "overview: messages")
	}
	counts, err := collect(rows, scanStatusCount)
	if err != nil {
		return wrap(err, "overview: messages")
	}
	for _, c := range counts {
		if c.n > 0 {
			o.AddMessages(recoup.MessageStatus(c.status), c.n)
		}
	}
	return nil
}

// overviewDays adds the rollups of days [first, end) (days since 1970).
func (r analyticsReader) overviewDays(o *recoup.Overview, first, end int64) error {
	if err := r.overviewQueries(o,
		`SELECT currency, state, category, recovered_by, sum(cases)::bigint, sum(amount)::bigint FROM case_rollup
		WHERE day >= $1 AND day < $2 GROUP BY currency, state, category, recovered_by HAVING sum(cases) > 0`,
		`SELECT hours, sum(cases)::bigint FROM recovery_rollup WHERE day >= $1 AND day < $2 GROUP BY hours`,
		`SELECT status, sum(messages)::bigint FROM message_rollup WHERE day >= $1 AND day < $2 GROUP BY status`,
		first, end); err != nil {
		return err
	}
	return r.segments(o, `SELECT currency, segment, state, sum(cases)::bigint, sum(amount)::bigint FROM segment_rollup
		WHERE day >= $1 AND day < $2 GROUP BY currency, segment, state HAVING sum(cases) > 0`, first, end)
}

// overviewRange adds the cases and messages created in [from, to), read from the rows: for
// the part of a period that is not whole days.
func (r analyticsReader) overviewRange(o *recoup.Overview, from, to time.Time) error {
	if !from.Before(to) {
		return nil
	}
	if err := r.overviewQueries(o,
		`SELECT currency, state, category, recovered_by, count(*), sum(amount)::bigint
		FROM cases WHERE created_at >= $1 AND created_at < $2
		GROUP BY currency, state, category, recovered_by`,
		`SELECT floor(extract(epoch FROM resolved_at - created_at) / 3600)::bigint, count(*)
		FROM cases WHERE created_at >= $1 AND created_at < $2 AND state = 'recovered' AND resolved_at IS NOT NULL
		GROUP BY 1`,
		`SELECT status, count(*) FROM messages WHERE created_at >= $1 AND created_at < $2 GROUP BY status`,
		from, to); err != nil {
		return err
	}
	return r.segments(o, `SELECT currency, segment, state, count(*), sum(amount)::bigint
		FROM cases WHERE created_at >= $1 AND created_at < $2 GROUP BY currency, segment, state`, from, to)
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
	if q.Segment != "" {
		add(`segment = $%d`, q.Segment)
	}
	if q.ReviewPending {
		// The literal, not an argument, lets the planner use the partial index cases_review.
		where = append(where, `review = '`+string(recoup.ReviewPending)+`'`)
	}
	var total int64
	if q.CountUpTo > 0 {
		count := `SELECT count(*) FROM (SELECT 1 FROM cases`
		if len(where) > 0 {
			count += ` WHERE ` + strings.Join(where, ` AND `)
		}
		count += fmt.Sprintf(` LIMIT $%d) AS matching`, len(args)+1)
		if err := s.db.pool.QueryRow(ctx, count, append(slices.Clone(args), q.CountUpTo)...).Scan(&total); err != nil {
			return recoup.CasePage{}, wrap(err, "count cases")
		}
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
	page := recoup.NewCasePage(cases, limit)
	page.Total = total
	return page, nil
}

func (r analyticsReader) Intake() (recoup.IntakeStatus, error) {
	ctx := r.ctx
	var st recoup.IntakeStatus
	var at *time.Time
	err := r.q.QueryRow(ctx, `SELECT received_at, type FROM events
		WHERE received_at IS NOT NULL ORDER BY received_at DESC LIMIT 1`).Scan(&at, &st.LastType)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return st, wrap(err, "intake status")
	}
	st.LastReceivedAt = timeOf(at)
	err = r.q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM events WHERE status = $1), (SELECT count(*) FROM events WHERE status = $2)`,
		string(recoup.EventPending), string(recoup.EventFailed)).Scan(&st.Pending, &st.Failed)
	if err != nil {
		return st, wrap(err, "intake status")
	}
	var oldest *time.Time
	err = r.q.QueryRow(ctx, `SELECT min(received_at) FROM events WHERE status = $1`, string(recoup.EventPending)).Scan(&oldest)
	st.OldestPendingAt = timeOf(oldest)
	return st, wrapNil(err, "intake status")
}
