package pgtest_test

import (
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/recoup-hq/recoup/internal/pgtest"
)

func TestDSN(t *testing.T) {
	dsn := pgtest.DSN(t)
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)

	var schema string
	if err := pool.QueryRow(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if schema == "" || schema == "public" {
		t.Fatalf("current_schema() = %q, want the test's own schema", schema)
	}
	var tables int
	err = pool.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = $1", schema).Scan(&tables)
	if err != nil || tables != 0 {
		t.Fatalf("the schema has %d tables (%v), want a fresh one", tables, err)
	}

	// Hold several connections at once, so that the pool must open new ones: each must have
	// the schema, and an unqualified CREATE TABLE must land in it.
	const n = 4
	conns := make([]*pgxpool.Conn, n)
	for i := range conns {
		if conns[i], err = pool.Acquire(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			defer c.Release()
			var got string
			if err := c.QueryRow(t.Context(), "SELECT current_schema()").Scan(&got); err != nil {
				t.Error(err)
				return
			}
			if got != schema {
				t.Errorf("connection %d: current_schema() = %q, want %q", i, got, schema)
			}
		})
	}
	wg.Wait()
	if _, err := pool.Exec(t.Context(), "CREATE TABLE t (id int)"); err != nil {
		t.Fatal(err)
	}
	err = pool.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 't'", schema).Scan(&tables)
	if err != nil || tables != 1 {
		t.Fatalf("CREATE TABLE t did not land in %s: %d, %v", schema, tables, err)
	}
}

func TestDSNIsolatesTests(t *testing.T) {
	a, b := pgtest.DSN(t), pgtest.DSN(t)
	if a == b {
		t.Fatalf("two calls returned the same DSN %s", a)
	}
}
