// Package pgtest gives tests a PostgreSQL database of their own: a fresh schema in the
// database named by RECOUP_TEST_DATABASE_URL, dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the PostgreSQL URL of the tests, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvVar = "RECOUP_TEST_DATABASE_URL"

// DSN returns a DSN whose connections use a new, empty schema unique to the test (through
// search_path), so that tests run in parallel without seeing each other's tables. The schema is
// dropped, with everything in it, when the test ends: close pools opened on the DSN in a
// t.Cleanup registered after calling DSN, so they close first.
//
// Without RECOUP_TEST_DATABASE_URL, or with a database that does not answer, the test is
// skipped, except in CI (CI=true), where it fails.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		unavailable(t, EnvVar+" not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		unavailable(t, "PostgreSQL at "+EnvVar+" unreachable ("+err.Error()+")")
	}
	defer conn.Close(context.Background())

	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	dsn, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("%s is not a valid URL", EnvVar) // the error would show the password
	}
	return dsn
}

// unavailable skips the test, or fails it in CI, where the database must be there.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why + ": PostgreSQL tests must run in CI (CI=true)")
	}
	t.Skip(why + ": skipping PostgreSQL test")
}

// withSearchPath sets search_path in a URL or keyword/value DSN. pgx sends parameters it does
// not know itself as run-time parameters when each connection starts, so every pooled
// connection gets the schema.
func withSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}
