package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/recoup-hq/recoup"
)

// querier is what the store's queries run on: the pool, or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect reads every row with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// timeArg returns t, or NULL for the zero time. timestamptz keeps microseconds: the
// nanoseconds are dropped.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// timeOf returns the time of a nullable timestamptz column, in UTC.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// declineArg encodes d as JSON, or NULL for nil.
func declineArg(d *recoup.Decline) (any, error) {
	if d == nil {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, recoup.Errorf(recoup.EINVALID, "encode decline: %w", err)
	}
	return b, nil
}

// declineOf decodes a column written by declineArg.
func declineOf(b []byte) (*recoup.Decline, error) {
	if b == nil {
		return nil, nil
	}
	var d recoup.Decline
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("decode decline: %w", err)
	}
	return &d, nil
}

// rawJSONArg returns b (validated by TimelineEntry.Validate), or NULL when empty.
func rawJSONArg(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

// stringsArg returns s, or NULL when empty.
func stringsArg(s []string) any {
	if len(s) == 0 {
		return nil
	}
	return s
}
