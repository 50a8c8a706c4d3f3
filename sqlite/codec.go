package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

// querier is what the store's queries run on: the read pool, or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// timeArg encodes t as unix microseconds, or NULL for the zero time. Sub-microsecond digits
// are dropped, as PostgreSQL's timestamptz drops them.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeOf decodes a column written by timeArg, in UTC.
func timeOf(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// declineArg encodes d as JSON text, or NULL for nil.
func declineArg(d *recoup.Decline) (any, error) {
	if d == nil {
		return nil, nil
	}
	if s, ok := declines.text(*d); ok {
		return s, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, recoup.Errorf(recoup.EINVALID, "encode decline: %w", err)
	}
	declines.add(*d, string(b), true)
	return string(b), nil
}

// declineOf decodes a column written by declineArg.
func declineOf(v sql.NullString) (*recoup.Decline, error) {
	if !v.Valid {
		return nil, nil
	}
	if d, ok := declines.value(v.String); ok {
		return &d, nil
	}
	var d recoup.Decline
	if err := json.Unmarshal([]byte(v.String), &d); err != nil {
		return nil, fmt.Errorf("decode decline: %w", err)
	}
	declines.add(d, v.String, false)
	return &d, nil
}

// stringsArg encodes s as a JSON array, or NULL when empty.
func stringsArg(s []string) (any, error) {
	if len(s) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode strings: %w", err)
	}
	return string(b), nil
}

// stringsOf decodes a column written by stringsArg.
func stringsOf(v sql.NullString) ([]string, error) {
	if !v.Valid {
		return nil, nil
	}
	var s []string
	if err := json.Unmarshal([]byte(v.String), &s); err != nil {
		return nil, fmt.Errorf("decode strings: %w", err)
	}
	return s, nil
}

// rawJSONArg returns b (validated by TimelineEntry.Validate) as text, or NULL when empty.
func rawJSONArg(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// rawJSONOf decodes a column written by rawJSONArg.
func rawJSONOf(v sql.NullString) json.RawMessage {
	if !v.Valid {
		return nil
	}
	return json.RawMessage(v.String)
}

// insertID runs an INSERT into a table whose id is its rowid (INTEGER PRIMARY KEY) and returns
// the new row's id, or inserted false when the statement inserted nothing (ON CONFLICT DO
// NOTHING). It replaces INSERT ... RETURNING id, which runs as a query: the driver builds a
// result set (column names, types, a Rows to close) for one integer the connection has anyway.
// Measured on the simulator, where the store inserts a dozen rows per invoice.
func insertID(ctx context.Context, q querier, query string, args ...any) (id int64, inserted bool, err error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return 0, false, err
	}
	id, err = res.LastInsertId()
	return id, err == nil, err
}
