package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

var _ recoup.AnalyticsStore = (*Store)(nil)

// Overview reads three ranges of indexes: cases_overview (which covers every column the two
// case queries use), and messages_created. Its cost grows with the number of cases opened in
// the period, not with the size of the table.
func (s *Store) Overview(ctx context.Context, from, to time.Time) (recoup.Overview, error) {
	o := recoup.NewOverview(from, to)
	r := s.db.reader()
	rows, err := r.QueryContext(ctx, `SELECT currency, state, category, recovered_by, count(*), sum(amount)
		FROM cases WHERE created_at >= ? AND created_at < ?
		GROUP BY currency, state, category, recovered_by`, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return o, wrap(err, "overview")
	}
	for rows.Next() {
		var row recoup.OverviewRow
		if err := rows.Scan(&row.Currency, &row.State, &row.Category, &row.RecoveredBy, &row.Count, &row.Amount); err != nil {
			rows.Close()
			return o, wrap(err, "overview")
		}
		o.AddCases(row)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return o, wrap(err, "overview")
	}

	rows, err = r.QueryContext(ctx, `SELECT (resolved_at - created_at) / 3600000000, count(*)
		FROM cases WHERE created_at >= ? AND created_at < ? AND state = ? AND resolved_at IS NOT NULL
		GROUP BY 1`, from.UnixMicro(), to.UnixMicro(), string(recoup.StateRecovered))
	if err != nil {
		return o, wrap(err, "overview: time to recovery")
	}
	for rows.Next() {
		var hours, n int64
		if err := rows.Scan(&hours, &n); err != nil {
			rows.Close()
			return o, wrap(err, "overview: time to recovery")
		}
		o.AddRecoveries(hours, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return o, wrap(err, "overview: time to recovery")
	}

	rows, err = r.QueryContext(ctx, `SELECT status, count(*) FROM messages
		WHERE created_at >= ? AND created_at < ? GROUP BY status`, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return o, wrap(err, "overview: messages")
	}
	defer rows.Close()
	for rows.Next() {
		var st recoup.MessageStatus
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return o, wrap(err, "overview: messages")
		}
		o.AddMessages(st, n)
	}
	return o, wrap2(rows.Err(), "overview: messages")
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
	page := recoup.CasePage{Cases: cases}
	if len(cases) > limit {
		page.Cases = cases[:limit]
		page.Next = cases[limit-1].ID
	}
	return page, nil
}

func (s *Store) Intake(ctx context.Context) (recoup.IntakeStatus, error) {
	var st recoup.IntakeStatus
	var at sql.NullInt64
	var typ sql.NullString
	err := s.db.reader().QueryRowContext(ctx, `SELECT received_at, type FROM events
		WHERE received_at IS NOT NULL ORDER BY received_at DESC LIMIT 1`).Scan(&at, &typ)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, wrap(err, "intake status")
	}
	st.LastReceivedAt, st.LastType = timeOf(at), typ.String
	err = s.db.reader().QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM events WHERE status = ?), (SELECT count(*) FROM events WHERE status = ?)`,
		string(recoup.EventPending), string(recoup.EventFailed)).Scan(&st.Pending, &st.Failed)
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
