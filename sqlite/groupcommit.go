package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/recoup-hq/recoup"
)

// Group commit. On a database file, each store transaction paid for its own commit: SQLite
// appends the transaction's pages to the WAL and syncs the file (synchronous=FULL), and the one
// writer connection serializes the syncs. Durable webhook intake ran at 0.035 times the rate of
// a handler that only verifies and answers (issue 22, a quiet machine); BenchmarkWebhookIntakeVsBare
// in cmd/recoup measures the two side by side.
//
// So store transactions that arrive while another runs share one SQLite transaction (a group),
// each in a SAVEPOINT of its own, and the group commits, with one sync, once no other store
// transaction is waiting to join it (or once it holds maxGroup of them). Each store transaction
// returns only after its group has committed: when Tx returns nil, the transaction is on disk,
// as before. A store transaction that fails is rolled back to its savepoint and takes nothing
// else with it. A group whose commit fails fails every store transaction in it: none of them
// is on disk, and each caller sees the error (the webhook answers 503 and Stripe redelivers).
//
// Store transactions still run one at a time, in the order they take the group's lock, each
// seeing everything the earlier ones wrote: a later member's work can depend on an earlier
// member's only within the group, which commits or fails as a whole. So isolation is as
// before; what is shared is the sync.
//
// The jobs of the group's transactions are inserted together just before the commit, in one
// call of the enqueuer (River parses its insert statement at each call); if that fails, the
// group fails as a whole.
//
// A store transaction alone (no other waiting) commits at once, as before: the grouping adds no
// delay, it only lets the transactions that queued during one commit share the next.

// maxGroup bounds a group, so that a steady stream of arrivals cannot keep a group open (and
// the writer connection, which River shares, taken) for long.
const maxGroup = 256

// groupCommitter forms the groups of a database file's store transactions.
type groupCommitter struct {
	w  *sql.DB
	ws *stmtCache
	// mu is held while a store transaction runs in the open group, and while a group commits.
	mu sync.Mutex
	// waiting counts the store transactions that want to run: taken before mu is locked, given
	// back when the transaction has run. The one that gives back the last commits the group.
	waiting atomic.Int64
	open    *group // the group being filled, nil when none; guarded by mu
	// beforeCommit, set by tests only, runs in the group's transaction just before it commits.
	beforeCommit func(*sql.Tx) error
}

// group is one SQLite transaction holding the savepoints of several store transactions.
type group struct {
	sqlTx   *sql.Tx
	members []member // the released store transactions, in order
	done    chan struct{}
	err     error // why the group did not commit; read after done is closed
}

// member is a store transaction released into a group: its jobs wait for the group's commit.
type member struct {
	s *Store
	t *tx
}

// groupTx is Store.Tx on a database file: fn runs in a savepoint of the open group, and groupTx
// returns once the group has committed.
func (s *Store) groupTx(ctx context.Context, fn func(tx recoup.Tx) error) error {
	c := s.db.group
	c.waiting.Add(1)
	c.mu.Lock()
	g, runErr, panicked := c.run(ctx, s, fn)
	if c.waiting.Add(-1) == 0 || (c.open != nil && len(c.open.members) >= maxGroup) {
		c.commit()
	}
	c.mu.Unlock()
	if panicked != nil {
		panic(panicked)
	}
	if runErr != nil {
		return runErr
	}
	<-g.done
	return g.err
}

// run runs fn in a savepoint of the open group, opening one if needed. It returns the group fn
// was released into, or fn's error (its savepoint rolled back), or what fn panicked with. The
// caller holds mu.
func (c *groupCommitter) run(ctx context.Context, s *Store, fn func(tx recoup.Tx) error) (g *group, err error, panicked any) {
	if err := ctx.Err(); err != nil {
		return nil, wrap(err, "begin transaction"), nil
	}
	if c.open == nil {
		// The group outlives the store transaction that begins it.
		sqlTx, err := c.w.BeginTx(context.Background(), nil)
		if err != nil {
			return nil, wrap(err, "begin transaction"), nil
		}
		c.open = &group{sqlTx: sqlTx, done: make(chan struct{})}
	}
	grp := c.open
	// The savepoint's statements run whatever ctx becomes: SQLite may end the whole
	// transaction when a statement in it is interrupted, and the group's other members with it.
	bctx := context.WithoutCancel(ctx)
	if _, err := grp.sqlTx.ExecContext(bctx, `SAVEPOINT store_tx`); err != nil {
		return nil, c.lose(wrap(err, "begin transaction")), nil
	}
	t := s.newTx(bctx, cachedTx{tx: grp.sqlTx, c: c.ws})
	released := false
	defer func() {
		if released {
			return
		}
		panicked = recover()
		// On an error or a panic in fn, undoes everything since the savepoint.
		// If SQLite ended the whole transaction (an I/O error, a full disk), the group is lost.
		if _, rerr := grp.sqlTx.ExecContext(bctx, `ROLLBACK TO store_tx`); rerr != nil {
			err = errors.Join(err, c.lose(wrap(rerr, "roll back")))
			return
		}
		if _, rerr := grp.sqlTx.ExecContext(bctx, `RELEASE store_tx`); rerr != nil {
			err = errors.Join(err, c.lose(wrap(rerr, "roll back")))
		}
	}()
	if err := s.runKeepingJobs(t, fn); err != nil {
		return nil, err, nil
	}
	if _, err := grp.sqlTx.ExecContext(bctx, `RELEASE store_tx`); err != nil {
		return nil, wrap(err, "commit"), nil // the deferred rollback undoes the savepoint
	}
	released = true
	grp.members = append(grp.members, member{s: s, t: t})
	return grp, nil, nil
}

// commit commits the open group, if any, and tells its members. The caller holds mu.
func (c *groupCommitter) commit() {
	g := c.open
	if g == nil {
		return
	}
	c.open = nil
	if len(g.members) == 0 {
		// Every member failed: nothing to keep.
		_ = g.sqlTx.Rollback()
		c.end(g, nil)
		return
	}
	err := insertGroupJobs(g)
	if err == nil && c.beforeCommit != nil {
		err = c.beforeCommit(g.sqlTx)
	}
	if err == nil {
		err = g.sqlTx.Commit()
	}
	if err != nil {
		_ = g.sqlTx.Rollback()
		c.end(g, wrap(err, "commit"))
		return
	}
	for _, m := range g.members {
		m.t.committed()
	}
	c.end(g, nil)
}

// insertGroupJobs inserts the jobs of the group's members, all of a store's in one call of
// its enqueuer: River's SQLite driver prepares its insert statement anew at each call, which
// was over half of a webhook's CPU when each store transaction inserted its own.
func insertGroupJobs(g *group) error {
	for i := 0; i < len(g.members); {
		s := g.members[i].s
		var jobs []recoup.Job
		for ; i < len(g.members) && g.members[i].s == s; i++ {
			jobs = append(jobs, g.members[i].t.jobs...)
		}
		if err := s.insertJobs(context.Background(), g.sqlTx, jobs); err != nil {
			return err
		}
	}
	return nil
}

// lose ends the open group after SQLite failed inside it: its released members did not commit.
// It returns err for the member that found it. The caller holds mu.
func (c *groupCommitter) lose(err error) error {
	g := c.open
	c.open = nil
	_ = g.sqlTx.Rollback()
	c.end(g, fmt.Errorf("the transaction was lost with the others committing with it: %w", err))
	return err
}

// end tells g's members how it ended and prepares the statements its transactions ran
// unprepared, now that the writer connection is free. The caller holds mu.
func (c *groupCommitter) end(g *group, err error) {
	g.err = err
	close(g.done)
	c.ws.prepareWanted(context.Background())
}
