package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"riverqueue.com/riverui"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/postgres"
	"github.com/recoup-hq/recoup/sqlite"
)

// queue is the part of jobs.Queue the commands use, whatever the database.
type queue interface {
	Migrate(ctx context.Context) error
	Ready(ctx context.Context) error
	Start(ctx context.Context, h jobs.Handler) error
	Stop(ctx context.Context) error
	// Subscribe reports the jobs this process finishes; tests wait on it instead of sleeping.
	Subscribe() (<-chan jobs.Event, func())
}

// backend is the database with its store and job queue.
type backend struct {
	kind    string // "sqlite" or "postgres"
	name    string // the database for people: a SQLite file's absolute path, or PostgreSQL's database
	store   recoup.Store
	queue   queue
	migrate func(ctx context.Context) error // the store's migrations
	ready   func(ctx context.Context) error
	close   func() error
	// riverUI builds River's job queue UI on this backend's client.
	riverUI func(log *slog.Logger) (*riverui.Handler, error)
}

// Migrate applies the store's and the job queue's migrations.
func (b *backend) Migrate(ctx context.Context) error {
	if err := b.migrate(ctx); err != nil {
		return fmt.Errorf("migrate %s store: %w", b.kind, err)
	}
	if err := b.queue.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// Ready reports whether the database answers and every migration is applied.
func (b *backend) Ready(ctx context.Context) error {
	if err := b.store.Ready(ctx); err != nil {
		return err
	}
	return b.queue.Ready(ctx)
}

// databaseKind tells which store a DATABASE_URL selects.
func databaseKind(url string) (string, error) {
	switch {
	case url == "":
		return "", errors.New("DATABASE_URL is empty: give a SQLite file path or a postgres:// URL")
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return "postgres", nil
	case strings.HasPrefix(url, "sqlite:"), strings.HasPrefix(url, "file:"), !strings.Contains(url, "://"):
		return "sqlite", nil
	}
	scheme, _, _ := strings.Cut(url, "://")
	return "", fmt.Errorf("DATABASE_URL scheme %q is not supported: use a SQLite file path, a sqlite: URL or a postgres:// URL", scheme)
}

// openBackend opens the database DATABASE_URL names, with its store and job queue. A SQLite
// file is created if missing: for the commands that set a database up (serve, migrate).
func openBackend(ctx context.Context, url string, jc jobs.Config) (*backend, error) {
	return open(ctx, url, jc, sqlite.Open)
}

// openExisting opens the database DATABASE_URL names for a command that works on what recoup
// already keeps (a report, a user, a case): it creates nothing and migrates nothing. A missing
// SQLite file, or a database whose migrations are not all applied, is an error naming the
// database, so that a wrong working directory or a typo in DATABASE_URL is not answered as if
// the account were empty.
func openExisting(ctx context.Context, g *Globals) (*backend, error) {
	b, err := open(ctx, g.DatabaseURL, jobs.Config{Clock: realClock{}, Logger: g.Logger()}, sqlite.OpenExisting)
	if recoup.ErrorCode(err) == recoup.ENOTFOUND {
		return nil, fmt.Errorf("%w: run `recoup migrate` or `recoup serve` first, or set DATABASE_URL", err)
	}
	if err != nil {
		return nil, err
	}
	if err := b.Ready(ctx); err != nil {
		b.close()
		return nil, fmt.Errorf("%s is not ready (%w): run `recoup migrate` first, or set DATABASE_URL", b.name, err)
	}
	return b, nil
}

// open opens the database url names, with its store and job queue; openSQLite opens a SQLite
// file, creating it or not.
func open(ctx context.Context, url string, jc jobs.Config, openSQLite func(context.Context, string) (*sqlite.DB, error)) (*backend, error) {
	kind, err := databaseKind(url)
	if err != nil {
		return nil, err
	}
	if kind == "postgres" {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: open PostgreSQL: %w", err)
		}
		q, err := jobs.NewPostgres(db.Pool(), jc)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("job queue: %w", err)
		}
		return &backend{kind: kind, name: "the PostgreSQL " + db.Name(), store: postgres.NewStore(db, q.InsertTx), queue: q,
			migrate: db.Migrate, ready: db.Ready, close: db.Close,
			riverUI: func(log *slog.Logger) (*riverui.Handler, error) { return newRiverUI(q.Client(), log) }}, nil
	}
	db, err := openSQLite(ctx, url)
	if recoup.ErrorCode(err) == recoup.ENOTFOUND {
		return nil, err // names the file
	}
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: open SQLite: %w", err)
	}
	q, err := jobs.NewSQLite(db.SQL(), jc)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &backend{kind: kind, name: "the database at " + db.Path(), store: sqlite.NewStore(db, q.InsertTx), queue: q,
		migrate: db.Migrate, ready: db.Ready, close: db.Close,
		riverUI: func(log *slog.Logger) (*riverui.Handler, error) { return newRiverUI(q.Client(), log) }}, nil
}

// withStore opens and migrates the database DATABASE_URL names, creating it if needed, for a
// command that sets data up (user add), and runs fn on it.
func withStore(ctx context.Context, g *Globals, fn func(*backend) error) error {
	b, err := openBackend(ctx, g.DatabaseURL, jobs.Config{Clock: realClock{}, Logger: g.Logger()})
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.Migrate(ctx); err != nil {
		return err
	}
	return fn(b)
}

// withExisting runs fn on the existing, migrated database DATABASE_URL names (openExisting).
func withExisting(ctx context.Context, g *Globals, fn func(*backend) error) error {
	b, err := openExisting(ctx, g)
	if err != nil {
		return err
	}
	defer b.close()
	return fn(b)
}
