package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// groupTestStore opens a migrated database file and its store, and a second connection to
// the same file that reads what is on disk.
func groupTestStore(t *testing.T) (*DB, *Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "group.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return db, NewStore(db, func(ctx context.Context, tx *sql.Tx, jobs []recoup.Job) error { return nil }), other
}

func groupEvent(id string) *recoup.Event {
	return &recoup.Event{ID: id, Type: "invoice.payment_failed", ObjectID: "in_" + id, Payload: []byte(`{}`),
		Origin: recoup.OriginWebhook, ReceivedAt: time.Unix(1_800_000_000, 0), Status: recoup.EventPending}
}

// storedEvents reports which of ids another connection finds in the file.
func storedEvents(t *testing.T, other *sql.DB, ids ...string) map[string]bool {
	t.Helper()
	found := map[string]bool{}
	for _, id := range ids {
		var n int
		if err := other.QueryRowContext(t.Context(), `SELECT count(*) FROM events WHERE id = ?`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		found[id] = n == 1
	}
	return found
}

// inGroup runs first in a store transaction that lets the others start and waits, inside it,
// until they all wait to join its group; then the others run, each in a transaction of its
// own goroutine. It returns each one's error, first's first.
func inGroup(t *testing.T, db *DB, s *Store, first func(recoup.Tx) error, others ...func(recoup.Tx) error) []error {
	t.Helper()
	errs := make([]error, 1+len(others))
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Go(func() {
		errs[0] = s.Tx(t.Context(), func(tx recoup.Tx) error {
			close(start)
			for db.group.waiting.Load() < int64(1+len(others)) {
				runtime.Gosched()
			}
			return first(tx)
		})
	})
	<-start
	for i, fn := range others {
		wg.Go(func() { errs[1+i] = s.Tx(t.Context(), fn) })
	}
	wg.Wait()
	return errs
}

func TestGroupCommitSharesOneSync(t *testing.T) {
	db, s, other := groupTestStore(t)
	commits := 0
	db.group.beforeCommit = func(*sql.Tx) error { commits++; return nil }
	errFailed := errors.New("this one fails")
	insert := func(id string, fail error) func(recoup.Tx) error {
		return func(tx recoup.Tx) error {
			if _, err := tx.InsertEvent(groupEvent(id)); err != nil {
				return err
			}
			return fail
		}
	}
	errs := inGroup(t, db, s, insert("evt_a", nil), insert("evt_b", nil), insert("evt_c", errFailed), insert("evt_d", nil))
	if errs[0] != nil || errs[1] != nil || errs[3] != nil || !errors.Is(errs[2], errFailed) {
		t.Fatalf("errors = %v, want only the third's", errs)
	}
	if commits != 1 {
		t.Errorf("%d commits for four concurrent transactions, want one", commits)
	}
	got := storedEvents(t, other, "evt_a", "evt_b", "evt_c", "evt_d")
	if !got["evt_a"] || !got["evt_b"] || got["evt_c"] || !got["evt_d"] {
		t.Errorf("on disk after the group: %v, want all but the failed one", got)
	}

	// A transaction alone commits at once, in a group of its own.
	if err := s.Tx(t.Context(), insert("evt_e", nil)); err != nil {
		t.Fatal(err)
	}
	if commits != 2 || !storedEvents(t, other, "evt_e")["evt_e"] {
		t.Errorf("after a lone transaction: %d commits, want 2", commits)
	}
}

// A group whose commit fails fails every transaction in it, and none of them is on disk. The
// commit fails the way SQLite's does: a deferred foreign key left unsatisfied.
func TestGroupCommitFailureFailsEveryMember(t *testing.T) {
	db, s, other := groupTestStore(t)
	broken := func(rtx recoup.Tx) error {
		if _, err := rtx.InsertEvent(groupEvent("evt_broken")); err != nil {
			return err
		}
		q := rtx.(*tx).q
		if _, err := q.ExecContext(t.Context(), `PRAGMA defer_foreign_keys = ON`); err != nil {
			return err
		}
		_, err := q.ExecContext(t.Context(), `INSERT INTO timeline (case_id, kind, summary) VALUES (424242, 'note', 'no such case')`)
		return err
	}
	fine := func(tx recoup.Tx) error { _, err := tx.InsertEvent(groupEvent("evt_fine")); return err }
	errs := inGroup(t, db, s, broken, fine)
	for i, err := range errs {
		if err == nil {
			t.Errorf("transaction %d: error %v, want the commit's", i, err)
		}
	}
	if got := storedEvents(t, other, "evt_broken", "evt_fine"); got["evt_broken"] || got["evt_fine"] {
		t.Errorf("on disk after a failed group: %v, want neither", got)
	}
	// The next transaction starts a new group and commits.
	if err := s.Tx(t.Context(), fine); err != nil {
		t.Fatal(err)
	}
	if !storedEvents(t, other, "evt_fine")["evt_fine"] {
		t.Error("the redelivered event is not on disk")
	}
}
