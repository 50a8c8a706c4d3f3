// Package postgres implements recoup.Store on PostgreSQL with pgx. Several recoup processes
// may share one database: reads of a case inside a transaction lock its row (SELECT ... FOR
// UPDATE), and migrations take an advisory lock. The job queue (River's riverpgxv5 driver)
// shares the pool and inserts its jobs inside the store's transactions through the Enqueuer
// hook.
//
// The tables live in the connection's current schema: set search_path in the DSN to use
// another schema than public.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/recoup-hq/recoup"
)

// DB is an open PostgreSQL connection pool.
type DB struct {
	pool     *pgxpool.Pool
	sqlDB    *sql.DB // database/sql on top of pool, for goose
	migrator *goose.Provider
	name     string // database, schema, host and port, for people (Name)
}

// defaultMaxConns is the pool's size unless the DSN sets pool_max_conns. pgxpool's own default
// is the number of CPUs (4 at least), and a process shares its pool between the webhooks it
// acknowledges, its River workers, and River's producer, leader and LISTEN connection: with 4
// connections, a burst of 16 concurrent deliveries to one process was acknowledged at 98 a
// second, p99 1.07 s (BenchmarkMonthStartBurst). Mind PostgreSQL's max_connections (100 by
// default) when running many processes.
const defaultMaxConns = 16

// Open connects to the database of dsn ("postgres://user@host:5432/db?sslmode=disable", or
// any DSN pgxpool accepts, including its pool_max_conns setting, default defaultMaxConns) and
// checks that it answers.
// Open does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The error would quote the DSN, password included.
		return nil, recoup.Errorf(recoup.EINVALID, "open postgres: the DSN is not valid")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema); err != nil {
		pool.Close()
		return nil, wrap(err, "open postgres")
	}
	if schema == "" {
		pool.Close()
		return nil, recoup.Errorf(recoup.EINVALID, "open postgres: no schema of the search_path exists")
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	migrator, err := newMigrator(sqlDB, schema)
	if err != nil {
		sqlDB.Close()
		pool.Close()
		return nil, err
	}
	cc := cfg.ConnConfig
	name := fmt.Sprintf("database %q (schema %q) on %s:%d", cc.Database, schema, cc.Host, cc.Port)
	return &DB{pool: pool, sqlDB: sqlDB, migrator: migrator, name: name}, nil
}

// Name names the database for people: its name, schema, host and port, never the user's
// password.
func (db *DB) Name() string { return db.name }

// Pool returns the connection pool, for River's riverpgxv5 driver.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes the pool.
func (db *DB) Close() error {
	err := db.sqlDB.Close() // returns its connections to the pool; does not close it
	db.pool.Close()
	return err
}

// migrationTable is goose's version table. It is named for recoup so that it cannot collide
// with another goose user's table in a shared schema.
const migrationTable = "recoup_migration"

//go:embed migrations/*.sql
var migrationFS embed.FS

// newMigrator returns the goose provider of the embedded migrations, for the schema. goose
// runs each migration in its own transaction, holding an advisory lock so that processes
// starting together migrate one at a time. The lock is the schema's: advisory locks are per
// database, and databases holding several schemas (one per test) should not wait for each
// other.
func newMigrator(db *sql.DB, schema string) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres migrations: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("recoup migrate " + schema))
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64())),
		lock.WithLockTimeout(1, 300), // try every second for five minutes
	)
	if err != nil {
		return nil, fmt.Errorf("postgres migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(migrationTable),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
	if err != nil {
		return nil, fmt.Errorf("postgres migrations: %w", err)
	}
	return p, nil
}

// Migrate applies the migrations that are not applied yet.
func (db *DB) Migrate(ctx context.Context) error {
	if _, err := db.migrator.Up(ctx); err != nil {
		return wrap(err, "migrate postgres")
	}
	return nil
}

// Ready returns nil when the database answers and every embedded migration is applied, and an
// EUNAVAILABLE error otherwise. It only reads.
func (db *DB) Ready(ctx context.Context) error {
	var exists bool
	err := db.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, migrationTable).Scan(&exists)
	if err != nil {
		return recoup.Errorf(recoup.EUNAVAILABLE, "postgres not ready: %w", err)
	}
	if !exists {
		return recoup.Errorf(recoup.EUNAVAILABLE, "postgres not ready: database not migrated")
	}
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT version_id FROM `+migrationTable)
	if err != nil {
		return recoup.Errorf(recoup.EUNAVAILABLE, "postgres not ready: read migrations: %w", err)
	}
	applied, err := collect(rows, func(r scanner) (int64, error) {
		var v int64
		err := r.Scan(&v)
		return v, err
	})
	if err != nil {
		return recoup.Errorf(recoup.EUNAVAILABLE, "postgres not ready: read migrations: %w", err)
	}
	var pending []int64
	for _, src := range db.migrator.ListSources() {
		if !slices.Contains(applied, src.Version) {
			pending = append(pending, src.Version)
		}
	}
	if len(pending) > 0 {
		return recoup.Errorf(recoup.EUNAVAILABLE, "postgres not ready: migrations %v not applied", pending)
	}
	return nil
}
