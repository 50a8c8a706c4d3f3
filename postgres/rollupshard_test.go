package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/internal/pgtest"
)

// insertRawCase inserts a case of 100 usd created at at, in state, through q.
func insertRawCase(ctx context.Context, t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, invoice, state string, at time.Time) int64 {
	t.Helper()
	var id int64
	err := q.QueryRow(ctx, `INSERT INTO cases (invoice_id, customer_id, subscription_id, customer_email, amount,
		currency, state, category, payment_method_id, new_payment_method_id, attempts, stripe_attempts, plan_seq,
		recovered_by, final_action, closed_reason, created_at, version)
		VALUES ($1, 'cus', '', '', 100, 'usd', $2, 'funds', 'pm_1', '', 1, 1, 1, '', '', '', $3, 1) RETURNING id`,
		invoice, state, at).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Migration 00022 counts the existing cases again, each in the shard of its id, so that a case
// that moves after it finds the row it counted in.
func TestMigrationShardsRollups(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.migrator.UpTo(ctx, 16); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(0, 0).UTC().Add(72 * time.Hour)
	var ids []int64
	for i := range 40 {
		ids = append(ids, insertRawCase(ctx, t, db.pool, fmt.Sprint("in_", i), "scheduled", at))
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var shards int
	if err := db.pool.QueryRow(ctx, `SELECT count(DISTINCT shard) FROM case_rollup`).Scan(&shards); err != nil {
		t.Fatal(err)
	}
	if shards != 16 {
		t.Errorf("40 cases counted in %d shards, want 16", shards)
	}
	// Every case closes: each takes one from the row it was counted in.
	if _, err := db.pool.Exec(ctx, `UPDATE cases SET state = 'closed', version = version + 1`); err != nil {
		t.Fatal(err)
	}
	var negative int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM case_rollup WHERE cases < 0`).Scan(&negative); err != nil {
		t.Fatal(err)
	}
	if negative != 0 {
		t.Errorf("%d rollup rows below zero: a move did not find the row its case was counted in", negative)
	}
	o, err := NewStore(db, nil).Overview(ctx, time.Unix(0, 0), at.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Currencies) != 1 {
		t.Fatalf("overview %+v, want one currency", o.Currencies)
	}
	if got := o.Currencies[0].Failed; got != (recoup.Tally{Count: 40, Amount: 4000}) {
		t.Errorf("cases %+v, want 40 of 4000", got)
	}
	if got := o.Currencies[0].InRecovery; got.Count != 0 {
		t.Errorf("open %+v, want none", got)
	}

	// Down sums the shards again; the overview is unchanged.
	if _, err := db.migrator.DownTo(ctx, 16); err != nil {
		t.Fatal(err)
	}
	insertRawCase(ctx, t, db.pool, "in_after_down", "scheduled", at)
	o, err = NewStore(db, nil).Overview(ctx, time.Unix(0, 0), at.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Currencies[0].Failed; got != (recoup.Tally{Count: 41, Amount: 4100}) {
		t.Errorf("after down: cases %+v, want 41 of 4100", got)
	}
}

// Two transactions that each open a case of the same day, currency, state and category do not
// wait for each other: their cases count in rows of different shards. Before migration 00022
// the second waited on the first's rollup row until it committed.
func TestRollupsDoNotSerializeNewCases(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	first, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(ctx)
	insertRawCase(ctx, t, first, "in_first", "scheduled", at)

	second, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Rollback(ctx)
	// Waiting on a row lock fails at once instead of waiting for the first to commit.
	if _, err := second.Exec(ctx, `SET LOCAL lock_timeout = '1ms'`); err != nil {
		t.Fatal(err)
	}
	var id int64
	err = second.QueryRow(ctx, `INSERT INTO cases (invoice_id, customer_id, subscription_id, customer_email, amount,
		currency, state, category, payment_method_id, new_payment_method_id, attempts, stripe_attempts, plan_seq,
		recovered_by, final_action, closed_reason, created_at, version)
		VALUES ('in_second', 'cus', '', '', 100, 'usd', 'scheduled', 'funds', 'pm_1', '', 1, 1, 1, '', '', '', $1, 1) RETURNING id`, at).Scan(&id)
	if err != nil {
		t.Fatalf("the second case waited on the first's rollup row: %v", err)
	}
	if err := second.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	o, err := NewStore(db, nil).Overview(ctx, at, at.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Currencies) != 1 || o.Currencies[0].Failed.Count != 2 {
		t.Errorf("overview %+v, want two cases", o.Currencies)
	}
}

// openTestDB opens and migrates a database of the test's own.
func openTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}
