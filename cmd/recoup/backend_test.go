package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup/internal/pgtest"
	"github.com/recoup-hq/recoup/sqlite"
)

// The commands that work on what recoup already keeps: run on a database that is not there,
// or not migrated, each must say which database it looked at and change nothing.
var existingDataCommands = [][]string{
	{"shadow", "report"},
	{"experiment", "list"},
	{"experiment", "report"},
	{"experiment", "end", "recoup-vs-stripe", "--by", "ops@example.com"},
	{"model", "show"},
	{"model", "reset", "--yes"},
	{"user", "list"},
	{"user", "disable", "--email", "ada@example.com"},
	{"user", "token", "--email", "ada@example.com"},
	{"case", "approve", "1", "--by", "ops@example.com"},
	{"case", "plan", "1", "--by", "ops@example.com"},
}

// In a directory without a database (the wrong working directory, a mistyped DATABASE_URL),
// a command that reads is an error naming the absolute path, and creates no file.
func TestExistingDataCommandsNeedADatabase(t *testing.T) {
	t.Setenv("STRIPE_SECRET_KEY", "sk_test_123") // the case commands need one
	for _, args := range existingDataCommands {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			t.Setenv("DATABASE_URL", "recoup.db")
			err := run(context.Background(), append([]string{"--log-level", "error"}, args...), &bytes.Buffer{}, func(int) {})
			want := "no database at " + filepath.Join(dir, "recoup.db") + ": run `recoup migrate` or `recoup serve` first, or set DATABASE_URL"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want one saying %q", err, want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("the command left %s in the directory", entries[0].Name())
			}
		})
	}
}

// On a SQLite file that is not migrated, a command that reads says so and names the file, and
// migrates nothing.
func TestExistingDataCommandsNeedAMigratedSQLite(t *testing.T) {
	t.Setenv("STRIPE_SECRET_KEY", "sk_test_123") // the case commands need one
	for _, args := range existingDataCommands {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "empty.db")
			db, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			err = run(context.Background(), append([]string{"--log-level", "error", "--database-url", path}, args...), &bytes.Buffer{}, func(int) {})
			want := "the database at " + path + " is not ready"
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "run `recoup migrate` first") {
				t.Fatalf("error %v, want one saying %q and what to do", err, want)
			}
			if db, err = sqlite.Open(t.Context(), path); err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var tables int
			if err := db.SQL().QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).Scan(&tables); err != nil || tables != 0 {
				t.Fatalf("the command left %d tables (%v): it must not migrate", tables, err)
			}
		})
	}
}

// On a PostgreSQL schema that is not migrated, a command that reads names the database (never
// the password) and migrates nothing.
func TestExistingDataCommandsNeedAMigratedPostgres(t *testing.T) {
	t.Setenv("STRIPE_SECRET_KEY", "sk_test_123") // the case commands need one
	dsn := pgtest.DSN(t)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range existingDataCommands {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			err := run(context.Background(), append([]string{"--log-level", "error", "--database-url", dsn}, args...), &bytes.Buffer{}, func(int) {})
			want := `the PostgreSQL database "` + cfg.Database + `" (schema "` + cfg.RuntimeParams["search_path"] + `")`
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "not migrated") {
				t.Fatalf("error %v, want one naming %s and saying it is not migrated", err, want)
			}
			if cfg.Password != "" && strings.Contains(err.Error(), cfg.Password) {
				t.Fatal("the error shows the password")
			}
		})
	}
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var tables int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("the commands left %d tables (%v): they must not migrate", tables, err)
	}
}

// migratedSQLite opens a migrated SQLite database in the test's scratch directory, closed when
// the test ends.
func migratedSQLite(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "recoup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}
