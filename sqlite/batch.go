package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/recoup-hq/recoup"
)

// Batched commits on a scratch database. A commit was the simulator's costliest single step
// (13% of its CPU at 15 transactions per invoice), nearly all of it SQLite writing the
// transaction's dirty pages to the file, one pwrite each, and database/sql starting a goroutine
// per transaction begun. A scratch database never syncs and keeps its journal in memory: it
// gives up surviving a crash, and with it any reason for each transaction to reach the file.
//
// So on a scratch database a store transaction is a SAVEPOINT inside one SQLite transaction (the
// batch), released when the store transaction commits and rolled back to when it fails, and the
// batch commits every batchSize store transactions and before the database is used outside
// the store's transactions and reads (SQL, Close, Migrate, Ready, the Store's writes outside
// transactions). A store transaction stays atomic (released or rolled back whole), isolated
// (one at a time, and the store's reads outside transactions wait for it) and visible to every
// later read once it returns; a page several of them write goes to the file once per batch.
//
// If SQLite ends the batch itself (an I/O error, a full disk), the store transactions released
// into it are lost: the batch then fails every later store transaction, rather than let the
// caller go on as if they had committed.

// batchSize is how many store transactions a batch holds at most. The journal of a batch lives
// in memory and holds the first version of each page the batch changes.
const batchSize = 4096

// batch is a scratch database's open SQLite transaction, on a connection of its own.
//
// The batch is not a database/sql transaction: on a query inside one, database/sql starts a
// goroutine to watch the transaction's context, which it always makes cancellable (8% of the
// simulator's CPU, started and scheduled). On a sql.Conn with an uncancellable context it
// starts none. So the batch takes the pool's connection, runs BEGIN and COMMIT itself and
// prepares its statements on that connection. The cost is that the Enqueuer gets no *sql.Tx.
type batch struct {
	w *sql.DB
	// mu is held by a store transaction for its whole life, and by each read outside one.
	mu   sync.Mutex
	conn *sql.Conn // nil when no batch is open
	q    connQuerier
	n    int   // store transactions released into the batch
	err  error // why the batch was lost; every later store transaction fails with it
}

// open begins a batch if none is open. The caller holds mu.
func (b *batch) open(ctx context.Context) error {
	if b.err != nil {
		return b.err
	}
	if b.conn != nil {
		return nil
	}
	// The batch outlives the store transaction that begins it.
	ctx = context.WithoutCancel(ctx)
	conn, err := b.w.Conn(ctx)
	if err != nil {
		return wrap(err, "begin transaction")
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		conn.Close()
		return wrap(err, "begin transaction")
	}
	b.conn, b.n = conn, 0
	b.q = connQuerier{conn: conn, own: map[string]*sql.Stmt{}}
	return nil
}

// commit commits the open batch, if any, and gives its connection back to the pool. The
// caller holds mu.
func (b *batch) commit(ctx context.Context) error {
	if b.conn == nil {
		return b.err
	}
	if _, err := b.conn.ExecContext(context.WithoutCancel(ctx), `COMMIT`); err != nil {
		return b.lost(wrap(err, "commit"))
	}
	b.release()
	return nil
}

// release closes the batch's statements and gives its connection back. The caller holds mu.
func (b *batch) release() {
	for _, st := range b.q.own {
		st.Close()
	}
	b.conn.Close()
	b.conn, b.q = nil, connQuerier{}
}

// flush commits the open batch, if any, so that the pool's connection is free.
func (b *batch) flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.commit(ctx)
}

// lost records that the batch is gone with the store transactions released into it. The caller
// holds mu.
func (b *batch) lost(err error) error {
	if b.conn != nil {
		// Ends the transaction, if SQLite has not ended it already.
		_, _ = b.conn.ExecContext(context.Background(), `ROLLBACK`)
		b.release()
	}
	if b.err == nil {
		b.err = fmt.Errorf("scratch database: a batch of committed transactions was lost: %w", err)
	}
	return b.err
}

// connQuerier runs statements on a batch's connection, each prepared on it once.
type connQuerier struct {
	conn *sql.Conn
	own  map[string]*sql.Stmt
}

func (q connQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := q.own[query]; ok {
		return st, nil
	}
	st, err := q.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	q.own[query] = st
	return st, nil
}

func (q connQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (q connQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (q connQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.stmt(ctx, query)
	if err != nil {
		// Let the connection report the error through a Row, as QueryRowContext must return one.
		return q.conn.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// batchedTx is Store.Tx on a scratch database: fn runs in a savepoint of the open batch.
func (s *Store) batchedTx(ctx context.Context, fn func(tx recoup.Tx) error) error {
	b := s.db.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.open(ctx); err != nil {
		return err
	}
	// The savepoint's statements run whatever ctx becomes: an unfinished savepoint left in the
	// batch would take the next store transactions with it.
	bctx := context.WithoutCancel(ctx)
	q := b.q
	if _, err := q.ExecContext(bctx, `SAVEPOINT store_tx`); err != nil {
		return b.lost(wrap(err, "begin transaction"))
	}
	released := false
	defer func() {
		if released {
			return
		}
		// On an error or a panic in fn, undoes everything since the savepoint.
		if _, err := q.ExecContext(bctx, `ROLLBACK TO store_tx`); err != nil {
			b.lost(wrap(err, "roll back"))
			return
		}
		if _, err := q.ExecContext(bctx, `RELEASE store_tx`); err != nil {
			b.lost(wrap(err, "roll back"))
		}
	}()
	t := s.newTx(ctx, q)
	// No *sql.Tx to give the enqueuer: the batch is not one (see batch).
	if err := s.run(t, nil, fn); err != nil {
		return err
	}
	if _, err := q.ExecContext(bctx, `RELEASE store_tx`); err != nil {
		return wrap(err, "commit")
	}
	released = true
	t.committed()
	b.n++
	if b.n >= batchSize {
		return b.commit(bctx)
	}
	return nil
}

// batchReader runs the store's statements outside transactions on a scratch database: in the
// open batch, which holds the pool's one connection, or on the pool when none is open. Each
// waits for a store transaction running in another goroutine to end. A read's rows are
// iterated after that wait, so a store transaction another goroutine begins meanwhile may
// change rows the read has not reached yet: on the batch's connection, unlike on a pool of
// their own, reads are not isolated from it (the simulator reads and writes from one
// goroutine).
type batchReader struct {
	b *batch
	c *stmtCache
}

func (r batchReader) querier() querier {
	if r.b.conn == nil {
		return cachedPool{c: r.c}
	}
	return r.b.q
}

func (r batchReader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	return r.querier().ExecContext(ctx, query, args...)
}

func (r batchReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	return r.querier().QueryContext(ctx, query, args...)
}

func (r batchReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	return r.querier().QueryRowContext(ctx, query, args...)
}

// flushingPool runs the store's writes outside transactions on a scratch database, on the pool
// once the open batch has committed: a write alone is its own transaction, as on any database.
type flushingPool struct {
	b *batch
	c *stmtCache
}

func (p flushingPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := p.b.flush(ctx); err != nil {
		return nil, err
	}
	return cachedPool{c: p.c}.ExecContext(ctx, query, args...)
}

func (p flushingPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := p.b.flush(ctx); err != nil {
		return nil, err
	}
	return cachedPool{c: p.c}.QueryContext(ctx, query, args...)
}

func (p flushingPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	// A lost batch is reported by the next store transaction; the pool itself still works.
	_ = p.b.flush(ctx)
	return cachedPool{c: p.c}.QueryRowContext(ctx, query, args...)
}
