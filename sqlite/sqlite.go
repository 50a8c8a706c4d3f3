// Package sqlite implements recoup.Store on an embedded SQLite database (modernc.org/sqlite,
// pure Go). The job queue (River's riversqlite driver) shares the database: it receives the
// writer pool from DB.SQL and inserts its jobs inside the store's transactions through the
// Enqueuer hook.
//
// Times are stored as INTEGER unix microseconds in UTC (NULL for the zero time), so they sort,
// compare and round-trip exactly, at the same precision as PostgreSQL's timestamptz.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite/cache"
)

// busyTimeoutMillis is how long a connection waits for a lock held by another connection or
// process before failing with SQLITE_BUSY.
const busyTimeoutMillis = 10000

// readerConns is the size of the read-only pool. Reads never block the writer in WAL mode, so
// a few connections let the dashboard and the API read while a transaction runs.
const readerConns = 4

// DB is an open SQLite database: one writer connection and a small pool of read-only ones.
//
// The writer pool is capped at one connection. SQLite allows one writer at a time anyway, and
// River, which shares this pool, recommends exactly this setting (riversqlite's package doc:
// with several connections its concurrent work hits SQLITE_BUSY even with a busy_timeout).
// With several connections, writers wait for each other in SQLite's busy handler, which polls
// with sleeps: measured here, River working jobs while 8 goroutines inserted them ran twice as
// slowly with 8 writer connections as with one. With one connection, writers queue in
// database/sql's pool instead, and never see SQLITE_BUSY from inside the process.
// BEGIN IMMEDIATE (_txlock=immediate) plus busy_timeout cover other processes (a CLI command
// run beside the server): a transaction takes the write lock up front, waiting if needed,
// rather than failing when it first writes.
//
// The cost of one writer connection is that anything holding it blocks the others, so the
// store's reads outside a transaction go to a separate read-only pool: a Tx callback may call
// Store.Case without deadlocking, and readers never wait for writers (WAL). Calling Store.Tx,
// or a River method that is not the Tx variant, from inside a Tx callback still waits for the
// writer connection until the context ends: don't.
type DB struct {
	w        *sql.DB // the writer: one connection, shared with River
	path     string  // the file, for people (Path)
	r        *sql.DB // read-only pool for reads outside transactions
	migrator *goose.Provider
	ws, rs   *stmtCache      // prepared statements of the writer and of the read pool
	cases    *cache.Cases    // committed cases by id and version (package cache)
	scratch  bool            // OpenScratch: r is w
	batch    *batch          // OpenScratch: the store's transactions commit in batches (batch.go)
	group    *groupCommitter // Open: concurrent store transactions commit together (groupcommit.go)
	// suppressed, on a scratch database, answers who has no suppression (suppression.go).
	suppressed *keySet[[2]string]
	// resolved, on a scratch database, answers which customers have no resolved case (case.go).
	resolved *keySet[string]
	// imported and changed, on a scratch database, answer which customers have no past invoice
	// imported and no payment-method change (historyimport.go, paymentmethod.go).
	imported, changed *keySet[string]
	// observations, on a scratch database, holds the committed observations (package cache).
	observations *cache.Observations
	// events, on a scratch database, holds the pending events (package cache).
	events *cache.Events
}

// reader runs the store's reads outside transactions on the read pool.
func (db *DB) reader() querier {
	if db.batch != nil {
		return batchReader{b: db.batch, c: db.rs}
	}
	return cachedPool{c: db.rs}
}

// flush commits a scratch database's open batch, so that the writer pool's one connection is
// free for a statement outside the store's transactions. Elsewhere it does nothing.
func (db *DB) flush(ctx context.Context) error {
	if db.batch == nil {
		return nil
	}
	return db.batch.flush(ctx)
}

// Open opens (creating if needed) the SQLite database named by dsn, which is a file path
// ("recoup.db", "/var/lib/recoup/recoup.db"), a URL ("sqlite:recoup.db",
// "sqlite:///var/lib/recoup/recoup.db"), a SQLite URI ("file:recoup.db?cache=private"), or
// ":memory:" (also "sqlite::memory:") for a private in-memory database that lives until Close.
// Query parameters given in the dsn are passed to the driver and take precedence over the
// defaults. Open does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	base, q, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	return open(ctx, dsn, base, q, displayPath(base))
}

// OpenExisting opens the SQLite database named by dsn (the forms Open takes) only if its file
// exists: it never creates one. A missing file is an ENOTFOUND error naming its absolute path,
// so that a command run in the wrong directory, or given a mistyped path, says so instead of
// answering from a new, empty database. The file is opened with SQLite's mode=rw, which cannot
// create it either, should it vanish between the check and the open. An in-memory dsn is
// EINVALID: it holds nothing. OpenExisting does not migrate.
func OpenExisting(ctx context.Context, dsn string) (*DB, error) {
	base, q, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if q.Get("vfs") == "memdb" {
		return nil, recoup.Errorf(recoup.EINVALID, "sqlite dsn %q: an in-memory database holds no data", dsn)
	}
	path, err := filePath(base)
	if err != nil {
		return nil, recoup.Errorf(recoup.EINVALID, "sqlite dsn %q: %w", dsn, err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	switch st, err := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, recoup.Errorf(recoup.ENOTFOUND, "no database at %s", path)
	case err != nil:
		return nil, recoup.Errorf(recoup.EUNAVAILABLE, "database %s: %w", path, err)
	case st.IsDir():
		return nil, recoup.Errorf(recoup.EINVALID, "database %s is a directory, not a SQLite file", path)
	}
	// mode=rw is a URI parameter: the driver gives it to SQLite only in the file: form. A dsn's
	// mode=ro stands: it cannot create either.
	if q.Get("mode") != "ro" {
		q.Set("mode", "rw")
	}
	return open(ctx, dsn, "file:"+(&url.URL{Path: path}).EscapedPath(), q, path)
}

// open opens the database at base (a path or a file: URI) with the dsn's parameters q; dsn
// names it in errors and path is its file as people read it.
func open(ctx context.Context, dsn, base string, q url.Values, path string) (*DB, error) {
	setDefault(q, "_txlock", "immediate")
	setPragma(q, "busy_timeout", fmt.Sprint(busyTimeoutMillis))
	setPragma(q, "foreign_keys", "1")
	// Readers are opened without journal_mode: the writer sets WAL first, and the mode is
	// persistent in the file. In-memory databases (memdb) have no WAL and keep their mode.
	rq := cloneValues(q)
	setPragma(rq, "query_only", "1")
	setPragma(q, "journal_mode", "WAL")

	if q.Get("vfs") != "memdb" && path != ":memory:" {
		if err := createPrivate(base); err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
	}
	w, err := openWriter(ctx, dsn, base+"?"+q.Encode())
	if err != nil {
		return nil, err
	}

	r, err := sql.Open("sqlite", base+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	r.SetMaxOpenConns(readerConns)
	r.SetMaxIdleConns(readerConns)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite %s for reading: %w", dsn, translate(err))
	}

	migrator, err := newMigrator(w)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	ws := newStmtCache(w)
	return &DB{w: w, r: r, path: path, migrator: migrator, ws: ws, rs: newStmtCache(r), cases: cache.NewCases(false),
		group: &groupCommitter{w: w, ws: ws}}, nil
}

// Path is the database's file, absolute when it could be resolved, or ":memory:".
func (db *DB) Path() string { return db.path }

// createPrivate creates the database file of base, if it does not exist, readable and writable
// by its owner only: it holds customers' personal data, and SQLite would create it with the
// process's umask (commonly 0644, readable by every local user). SQLite gives the WAL and
// shared-memory files the database file's mode. An existing file is left as it is.
func createPrivate(base string) error {
	p, err := filePath(base)
	if err != nil || p == "" || p == ":memory:" {
		return nil // SQLite reports what it cannot open
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// filePath is the file a driver name (a path or a file: URI, as parseDSN returns) opens.
func filePath(base string) (string, error) {
	if !strings.HasPrefix(base, "file:") {
		return base, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("file URI with host %q", u.Host)
	}
	if u.Opaque != "" { // file:relative.db
		return url.PathUnescape(u.Opaque)
	}
	return u.Path, nil
}

// displayPath is the file of base as people read it, absolute when it can be resolved.
func displayPath(base string) string {
	if strings.HasPrefix(base, "file:/recoup-") {
		return ":memory:"
	}
	p, err := filePath(base)
	if err != nil {
		return base
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// OpenScratch opens (creating if needed) a SQLite file that only this DB will ever use and that
// need not survive a crash: the simulator's store. One connection serves reads and writes, holds
// the file lock for its life (locking_mode=EXCLUSIVE), keeps its rollback journal in memory and
// never syncs. Measured on the simulator, this runs the same store code about 1.3 times faster
// than Open's WAL setup. The store's transactions commit in batches (batch.go): the file holds
// them all only once the DB is closed. Do not use it for data that matters.
func OpenScratch(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	setDefault(q, "_txlock", "immediate")
	setPragma(q, "foreign_keys", "1")
	setPragma(q, "locking_mode", "EXCLUSIVE")
	setPragma(q, "journal_mode", "MEMORY")
	setPragma(q, "synchronous", "OFF")
	setPragma(q, "cache_size", "-16000")
	setPragma(q, "temp_store", "MEMORY")
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w, err := openWriter(ctx, path, "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	migrator, err := newMigrator(w)
	if err != nil {
		w.Close()
		return nil, err
	}
	// Reads outside transactions share the one connection: they wait while a transaction runs,
	// so a Tx callback must not call the Store's own reads (the engine does not).
	stmts := newStmtCache(w)
	return &DB{w: w, r: w, path: path, migrator: migrator, ws: stmts, rs: stmts, scratch: true, cases: cache.NewCases(true),
		batch: &batch{w: w}, suppressed: suppressedSet(), resolved: resolvedSet(),
		imported: pastInvoiceSet(), changed: paymentMethodChangeSet(),
		observations: &cache.Observations{}, events: cache.NewEvents()}, nil
}

// openWriter opens the pool of one connection that writes (driverDSN), named dsn in errors.
func openWriter(ctx context.Context, dsn, driverDSN string) (*sql.DB, error) {
	w, err := sql.Open("sqlite", driverDSN)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	w.SetMaxOpenConns(1)
	// Keep the connection for the life of the DB: an in-memory database dies with its last
	// connection, and reopening a file costs the pragmas again.
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, translate(err))
	}
	return w, nil
}

// SQL returns the writer pool (one connection), for River's riversqlite driver. Queries on it
// wait while a store transaction runs. On a scratch database, SQL first commits the open batch,
// and a store transaction begun afterwards holds the connection until its batch commits: use
// the pool there only between store transactions.
func (db *DB) SQL() *sql.DB {
	_ = db.flush(context.Background()) // a lost batch fails the next store transaction
	return db.w
}

// Close closes both pools. An in-memory database is gone afterwards.
func (db *DB) Close() error {
	flushed := db.flush(context.Background())
	db.ws.close()
	if db.scratch {
		return errors.Join(flushed, db.w.Close())
	}
	db.rs.close()
	return errors.Join(db.r.Close(), db.w.Close())
}

// parseDSN turns the accepted dsn forms into a driver name (a path or a file: URI, without
// query) and its query parameters.
func parseDSN(dsn string) (base string, q url.Values, err error) {
	rest, query, _ := strings.Cut(dsn, "?")
	q, err = url.ParseQuery(query)
	if err != nil {
		return "", nil, recoup.Errorf(recoup.EINVALID, "sqlite dsn %q: bad query: %w", dsn, err)
	}
	switch {
	case strings.HasPrefix(rest, "sqlite://"):
		rest = strings.TrimPrefix(rest, "sqlite://")
	case strings.HasPrefix(rest, "sqlite:"):
		rest = strings.TrimPrefix(rest, "sqlite:")
	}
	if rest == ":memory:" || rest == "file::memory:" || q.Get("mode") == "memory" {
		// A plain :memory: database is private to its connection, and DB has several. The
		// memdb VFS shares a named in-memory database between the connections of this process;
		// the random name keeps two DBs apart.
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", nil, fmt.Errorf("sqlite dsn %q: name in-memory database: %w", dsn, err)
		}
		q.Del("mode")
		q.Set("vfs", "memdb")
		return "file:/recoup-" + hex.EncodeToString(b[:]), q, nil
	}
	if rest == "" || rest == "file:" {
		return "", nil, recoup.Errorf(recoup.EINVALID, "sqlite dsn %q: no database path", dsn)
	}
	return rest, q, nil
}

// setDefault sets key to value unless the dsn set it.
func setDefault(q url.Values, key, value string) {
	if !q.Has(key) {
		q.Set(key, value)
	}
}

// setPragma adds _pragma=name(value) unless the dsn sets that pragma.
func setPragma(q url.Values, name, value string) {
	for _, p := range q["_pragma"] {
		if strings.EqualFold(strings.TrimSpace(pragmaName(p)), name) {
			return
		}
	}
	q.Add("_pragma", name+"("+value+")")
}

// pragmaName returns the name of a _pragma value: "busy_timeout(5000)", "busy_timeout=5000".
func pragmaName(p string) string {
	if i := strings.IndexAny(p, "(="); i >= 0 {
		return p[:i]
	}
	return p
}

func cloneValues(q url.Values) url.Values {
	c := make(url.Values, len(q))
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// migrationTable is goose's version table. It is named for recoup so that it cannot collide
// with another goose user's table in a shared database.
const migrationTable = "recoup_migration"

//go:embed migrations/*.sql
var migrationFS embed.FS

// newMigrator returns the goose provider of the embedded migrations. goose runs each
// migration in its own transaction.
func newMigrator(w *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, w, fsys,
		goose.WithTableName(migrationTable),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
	if err != nil {
		return nil, fmt.Errorf("sqlite migrations: %w", err)
	}
	return p, nil
}

// Migrate applies the migrations that are not applied yet. On a scratch database it then
// drops the dashboard's rollup triggers (see dropRollupTriggers).
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.flush(ctx); err != nil {
		return err
	}
	if _, err := db.migrator.Up(ctx); err != nil {
		return fmt.Errorf("migrate sqlite: %w", translate(err))
	}
	if db.scratch {
		return db.dropRollupTriggers(ctx)
	}
	return nil
}

// Ready returns nil when the database answers and every embedded migration is applied, and an
// EUNAVAILABLE error otherwise. It only reads.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.flush(ctx); err != nil {
		return recoup.Errorf(recoup.EUNAVAILABLE, "sqlite not ready: %w", err)
	}
	var n int
	err := db.r.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, migrationTable).Scan(&n)
	if err != nil {
		return recoup.Errorf(recoup.EUNAVAILABLE, "sqlite not ready: %w", err)
	}
	if n == 0 {
		return recoup.Errorf(recoup.EUNAVAILABLE, "sqlite not ready: database not migrated")
	}
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT version_id FROM `+migrationTable)
	if err != nil {
		return recoup.Errorf(recoup.EUNAVAILABLE, "sqlite not ready: read migrations: %w", err)
	}
	defer rows.Close()
	var applied []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return recoup.Errorf(recoup.EUNAVAILABLE, "sqlite not ready: read migrations: %w", err)
		}
		applied = append(applied, v)
	}
	if err := rows.Err(); err != nil {
		return recoup.Errorf(recoup.EUNAVAILABLE, "sqlite not ready: read migrations: %w", err)
	}
	var pending []int64
	for _, src := range db.migrator.ListSources() {
		if !slices.Contains(applied, src.Version) {
			pending = append(pending, src.Version)
		}
	}
	if len(pending) > 0 {
		return recoup.Errorf(recoup.EUNAVAILABLE, "sqlite not ready: migrations %v not applied", pending)
	}
	return nil
}
