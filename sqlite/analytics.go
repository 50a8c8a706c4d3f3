package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

var _ recoup.AnalyticsStore = (*Store)(nil)

// rollupTriggers keep the overview's rollups (migration 00004).
var rollupTriggers = []string{"cases_rollup_insert", "cases_rollup_update", "messages_rollup_insert", "messages_rollup_update",
	"cases_segment_rollup_insert", "cases_segment_rollup_update"} // the last two: migration 00009

// dropRollupTriggers removes the rollup triggers from a scratch database: the simulator, its
// only user, never asks for an overview, and with the triggers sim's BenchmarkRunPayday ran at
// 350-365 invoices per second against 450-570 without them (2026-11-22, a shared 2-CPU
// machine). The scratch store's Overview reads the rows instead: right, only slower.
func (db *DB) dropRollupTriggers(ctx context.Context) error {
	for _, name := range rollupTriggers {
		if _, err := db.w.ExecContext(ctx, `DROP TRIGGER IF EXISTS `+name); err != nil {
			return fmt.Errorf("scratch database: drop trigger %s: %w", name, translate(err))
		}
	}
	return nil
}

// microsPerDay is the length of a UTC day in the store's time unit.
const microsPerDay = int64(24 * time.Hour / time.Microsecond)

// ReadAnalytics runs read in one read transaction on one connection of the read-only pool.
// The transaction is deferred (BEGIN, not the writer's BEGIN IMMEDIATE): in WAL mode it takes
// its snapshot at its first read and keeps it to the end, and it never blocks the writer. On a
// scratch database the reads share the one connection with the writes and are not isolated
// from them (batch.go's batchReader): the simulator reads and writes from one goroutine.
func (s *Store) ReadAnalytics(ctx context.Context, read func(recoup.AnalyticsReader) error) error {
	return s.snapshot(ctx, "analytics read", func(q querier) error {
		return read(analyticsReader{s: s, ctx: ctx, q: q})
	})
}

// snapshot runs read on one snapshot of the database: a read-only transaction on the read
// pool, whose snapshot is taken at its first read and kept to its end (WAL), so it never waits
// for the writer. On a scratch database the reads share the writer's one connection and are
// not isolated. what names the read in errors.
func (s *Store) snapshot(ctx context.Context, what string, read func(querier) error) error {
	if s.db.scratch {
		return read(s.db.reader())
	}
	tx, err := s.db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return wrap(err, "begin %s", what)
	}
	defer tx.Rollback()
	if err := read(cachedTx{tx: tx, c: s.db.rs}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return wrap(err, "end %s", what)
	}
	// A statement first run inside a transaction is prepared once it has ended (stmtcache.go).
	s.db.rs.prepareWanted(ctx)
	return nil
}

// analyticsReader runs the analytics queries on one snapshot: a read transaction's querier.
type analyticsReader struct {
	s   *Store
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
	lo, hi := from.UnixMicro(), to.UnixMicro()
	firstDay := (lo + microsPerDay - 1) / microsPerDay // the first midnight at or after from
	endDay := hi / microsPerDay                        // the last midnight at or before to
	if lo < 0 || firstDay >= endDay || r.s.db.scratch {
		return o, r.overviewRange(&o, lo, hi)
	}
	if err := r.overviewRange(&o, lo, firstDay*microsPerDay); err != nil {
		return o, err
	}
	if err := r.overviewDays(&o, firstDay, endDay); err != nil {
		return o, err
	}
	return o, r.overviewRange(&o, endDay*microsPerDay, hi)
}

// overviewDays adds the rollups of days [first, end).
func (r analyticsReader) overviewDays(o *recoup.Overview, first, end int64) error {
	ctx := r.ctx
	err := scanRows(ctx, r.q, func(rows *sql.Rows) error {
		var row recoup.OverviewRow
		if err := rows.Scan(&row.Currency, &row.State, &row.Category, &row.RecoveredBy, &row.Count, &row.Amount); err != nil {
			return err
		}
		o.AddCases(row)
		return nil
	}, `SELECT currency, state, category, recovered_by, sum(cases), sum(amount) FROM case_rollup
		WHERE day >= ? AND day < ? GROUP BY currency, state, category, recovered_by HAVING sum(cases) > 0`, first, end)
	if err != nil {
		return wrap(err, "overview")
	}
	err = scanRows(ctx, r.q, func(rows *sql.Rows) error {
		var hours, n int64
		if err := rows.Scan(&hours, &n); err != nil {
			return err
		}
		o.AddRecoveries(hours, n)
		return nil
	}, `SELECT hours, sum(cases) FROM recovery_rollup WHERE day >= ? AND day < ? GROUP BY hours`, first, end)
	if err != nil {
		return wrap(err, "overview: time to recovery")
	}
	err = scanRows(ctx, r.q, func(rows *sql.Rows) error {
		var st recoup.MessageStatus
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return err
		}
		if n > 0 {
			o.AddMessages(st, n)
		}
		return nil
	}, `SELECT status, sum(messages) FROM message_rollup WHERE day >= ? AND day < ? GROUP BY status`, first, end)
	if err != nil {
		return wrap(err, "overview: messages")
	}
	return r.segments(o, `SELECT currency, segment, state, sum(cases), sum(amount) FROM segment_rollup
		WHERE day >= ? AND day < ? GROUP BY currency, segment, state HAVING sum(cases) > 0`, first, end)
}

// overviewRange adds the cases and messages created in [lo, hi) (unix microseconds), read
// from the rows: for the part of a period that is not whole days.
func (r analyticsReader) overviewRange(o *recoup.Overview, lo, hi int64) error {
	if lo >= hi {
		return nil
	}
	ctx := r.ctx
	err := scanRows(ctx, r.q, func(rows *sql.Rows) error {
		var row recoup.OverviewRow
		if err := rows.Scan(&row.Currency, &row.State, &row.Category, &row.RecoveredBy, &row.Count, &row.Amount); err != nil {
			return err
		}
		o.AddCases(row)
		return nil
	}, `SELECT currency, state, category, recovered_by, count(*), sum(amount)
		FROM cases WHERE created_at >= ? AND created_at < ?
		GROUP BY currency, state, category, recovered_by`, lo, hi)
	if err != nil {
		return wrap(err, "overview")
	}
	err = scanRows(ctx, r.q, func(rows *sql.Rows) error {
		var hours, n int64
		if err := rows.Scan(&hours, &n); err != nil {
			return err
		}
		o.AddRecoveries(hours, n)
		return nil
	}, `SELECT (resolved_at - created_at) / 3600000000, count(*)
		FROM cases WHERE created_at >= ? AND created_at < ? AND state = ? AND resolved_at IS NOT NULL
		GROUP BY 1`, lo, hi, string(recoup.StateRecovered))
	if err != nil {
		return wrap(err, "overview: time to recovery")
	}
	err = scanRows(ctx, r.q, func(rows *sql.Rows) error {
		var st recoup.MessageStatus
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return err
		}
		o.AddMessages(st, n)
		return nil
	}, `SELECT status, count(*) FROM messages WHERE created_at >= ? AND created_at < ? GROUP BY status`, lo, hi)
	if err != nil {
		return wrap(err, "overview: messages")
	}
	return r.segments(o, `SELECT currency, segment, state, count(*), sum(amount)
		FROM cases WHERE created_at >= ? AND created_at < ? GROUP BY currency, segment, state`, lo, hi)
}

// scanRows runs query and calls scan for each row.
func scanRows(ctx context.Context, q querier, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
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
	add := func(cond string, arg any) { where, args = append(where, cond), append(args, arg) }
	if len(q.States) > 0 {
		marks := make([]string, len(q.States))
		for i, st := range q.States {
			marks[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, `state IN (`+strings.Join(marks, ", ")+`)`)
	}
	if q.Category != "" {
		add(`category = ?`, string(q.Category))
	}
	if q.RecoveredBy != "" {
		add(`recovered_by = ?`, string(q.RecoveredBy))
	}
	if q.Currency != "" {
		add(`currency = ?`, strings.ToLower(q.Currency))
	}
	if q.MinAmount > 0 {
		add(`amount >= ?`, q.MinAmount)
	}
	if q.MaxAmount > 0 {
		add(`amount <= ?`, q.MaxAmount)
	}
	if !q.CreatedFrom.IsZero() {
		add(`created_at >= ?`, q.CreatedFrom.UnixMicro())
	}
	if !q.CreatedTo.IsZero() {
		add(`created_at < ?`, q.CreatedTo.UnixMicro())
	}
	if q.CustomerEmail != "" {
		// Served by the expression index cases_email. SQLite's lower() folds ASCII only, as
		// does the argument here, so both sides fold alike.
		add(`lower(customer_email) = ?`, asciiLower(q.CustomerEmail))
	}
	if q.Segment != "" {
		add(`segment = ?`, q.Segment)
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
		count += ` LIMIT ?)`
		if err := s.db.reader().QueryRowContext(ctx, count, append(slices.Clone(args), q.CountUpTo)...).Scan(&total); err != nil {
			return recoup.CasePage{}, wrap(err, "count cases")
		}
	}
	if q.Before != 0 {
		add(`id < ?`, q.Before)
	}
	query := `SELECT ` + caseColumns + ` FROM cases`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	cases, err := listCases(ctx, s.db.reader(), query, append(args, limit+1)...)
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
	var at sql.NullInt64
	var typ sql.NullString
	err := r.q.QueryRowContext(ctx, `SELECT received_at, type FROM events
		WHERE received_at IS NOT NULL ORDER BY received_at DESC LIMIT 1`).Scan(&at, &typ)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, wrap(err, "intake status")
	}
	st.LastReceivedAt, st.LastType = timeOf(at), typ.String
	err = r.q.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM events WHERE status = ?), (SELECT count(*) FROM events WHERE status = ?)`,
		string(recoup.EventPending), string(recoup.EventFailed)).Scan(&st.Pending, &st.Failed)
	if err != nil {
		return st, wrap(err, "intake status")
	}
	var oldest sql.NullInt64
	err = r.q.QueryRowContext(ctx, `SELECT min(received_at) FROM events WHERE status = ?`,
		string(recoup.EventPending)).Scan(&oldest)
	st.OldestPendingAt = timeOf(oldest)
	return st, wrap2(err, "intake status")
}

// asciiLower folds A-Z only, as SQLite's lower() does.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
