package sqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
)

func TestOpen(t *testing.T) {
	t.Run("dsn forms name the same file", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		for _, tc := range []struct{ dsn, file string }{
			{"plain.db", "plain.db"},
			{filepath.Join(dir, "abs.db"), "abs.db"},
			{"sqlite:url.db", "url.db"},
			{"sqlite://" + filepath.Join(dir, "url-abs.db"), "url-abs.db"},
			{"file:uri.db?cache=private", "uri.db"},
			{"query.db?_pragma=synchronous(NORMAL)", "query.db"},
		} {
			t.Run(tc.dsn, func(t *testing.T) {
				s := sqlite.NewStore(openDB(t, tc.dsn), nil)
				c := createCase(t, s, "in_1")
				if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
					t.Fatalf("database file: %v", err)
				}
				reopened := sqlite.NewStore(openDB(t, tc.dsn), nil)
				if _, err := reopened.Case(t.Context(), c.ID); err != nil {
					t.Fatalf("case after reopening: %v", err)
				}
			})
		}
	})

	t.Run("settings", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "settings.db"))
		for pragma, want := range map[string]string{
			"journal_mode": "wal",
			"foreign_keys": "1",
			"busy_timeout": "10000",
		} {
			var got string
			if err := db.SQL().QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
			}
		}
		if n := db.SQL().Stats().MaxOpenConnections; n != 1 {
			t.Errorf("writer pool allows %d connections, want 1", n)
		}
	})

	t.Run("dsn parameters override the defaults", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "o.db")+"?_pragma=busy_timeout(1234)")
		var got int
		if err := db.SQL().QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != 1234 {
			t.Errorf("busy_timeout %d, want 1234", got)
		}
	})

	t.Run("in-memory databases are shared by the pools and private to their DB", func(t *testing.T) {
		for _, dsn := range []string{":memory:", "sqlite::memory:", "file::memory:"} {
			a := sqlite.NewStore(openDB(t, dsn), nil)
			c := createCase(t, a, "in_mem")
			if _, err := a.Case(t.Context(), c.ID); err != nil { // the read pool
				t.Fatalf("%s: read back: %v", dsn, err)
			}
			b := sqlite.NewStore(openDB(t, dsn), nil)
			if _, err := b.Case(t.Context(), c.ID); !recoup.IsNotFound(err) {
				t.Fatalf("%s: a second in-memory DB sees the first's case: %v", dsn, err)
			}
		}
	})

	t.Run("no path is invalid", func(t *testing.T) {
		for _, dsn := range []string{"", "sqlite:", "file:"} {
			_, err := sqlite.Open(t.Context(), dsn)
			if recoup.ErrorCode(err) != recoup.EINVALID {
				t.Errorf("Open(%q): %v, want EINVALID", dsn, err)
			}
		}
	})
}

// A command that reads what recoup keeps must not create a database where there is none: the
// missing file is an error naming its absolute path, and no file appears.
func TestOpenExisting(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, dsn := range []string{"missing.db", "sqlite:missing.db", "file:missing.db?cache=private",
		"missing.db?_pragma=synchronous(NORMAL)", "sqlite://" + filepath.Join(dir, "missing.db")} {
		t.Run("missing "+dsn, func(t *testing.T) {
			db, err := sqlite.OpenExisting(t.Context(), dsn)
			if err == nil {
				db.Close()
			}
			want := filepath.Join(dir, "missing.db")
			if recoup.ErrorCode(err) != recoup.ENOTFOUND || !strings.Contains(err.Error(), "no database at "+want) {
				t.Fatalf("OpenExisting(%q): %v, want ENOTFOUND naming %s", dsn, err, want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("OpenExisting(%q) left %d files in the directory", dsn, len(entries))
			}
		})
	}
	t.Run("an existing database opens, read and write", func(t *testing.T) {
		path := filepath.Join(dir, "kept db#%.db") // characters a file: URI must escape
		c := createCase(t, sqlite.NewStore(openDB(t, path), nil), "in_1")
		db, err := sqlite.OpenExisting(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if db.Path() != path {
			t.Errorf("Path() = %q, want %q", db.Path(), path)
		}
		s := sqlite.NewStore(db, nil)
		if _, err := s.Case(t.Context(), c.ID); err != nil {
			t.Fatalf("case in the existing database: %v", err)
		}
		createCase(t, s, "in_2")
	})
	t.Run("a directory is not a database", func(t *testing.T) {
		if _, err := sqlite.OpenExisting(t.Context(), dir); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Fatalf("OpenExisting(dir): %v, want EINVALID", err)
		}
	})
	t.Run("in memory holds nothing", func(t *testing.T) {
		if _, err := sqlite.OpenExisting(t.Context(), ":memory:"); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Fatalf("OpenExisting(:memory:): %v, want EINVALID", err)
		}
	})
}

func TestMigrate(t *testing.T) {
	db, err := sqlite.Open(t.Context(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ready(t.Context()); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Fatalf("Ready before Migrate: %v, want EUNAVAILABLE", err)
	}
	for range 2 { // the second run has nothing to do
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Ready(t.Context()); err != nil {
		t.Fatalf("Ready after Migrate: %v", err)
	}
}

func TestTx(t *testing.T) {
	t.Run("jobs without an enqueuer fail the transaction", func(t *testing.T) {
		s := sqlite.NewStore(openDB(t, ":memory:"), nil)
		var id int64
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			c := recoup.Case{InvoiceID: "in_1", State: recoup.StateOpen}
			if err := tx.CreateCase(&c); err != nil {
				return err
			}
			id = c.ID
			return tx.Enqueue(recoup.Job{Kind: recoup.JobAct, CaseID: c.ID})
		})
		if recoup.ErrorCode(err) != recoup.EINTERNAL {
			t.Fatalf("Tx: %v, want an EINTERNAL error", err)
		}
		if _, err := s.Case(t.Context(), id); !recoup.IsNotFound(err) {
			t.Fatalf("the case was committed: %v", err)
		}
	})

	t.Run("the callback may read through the store", func(t *testing.T) {
		// The writer pool has one connection, held by the transaction: reads outside the
		// transaction must not need it.
		s := sqlite.NewStore(openDB(t, filepath.Join(t.TempDir(), "r.db")), nil)
		c := createCase(t, s, "in_1")
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			_, err := s.Case(t.Context(), c.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestConcurrentWriters runs writers on two DBs (two pools, as two processes would have) and
// readers against one database file: none may fail with SQLITE_BUSY or lose a write.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	dbs := []*sqlite.DB{openDB(t, path), openDB(t, path)}
	stores := make([]*sqlite.Store, len(dbs))
	for i, db := range dbs {
		stores[i] = sqlite.NewStore(db, jobTable(t, db))
	}
	c := createCase(t, stores[0], "in_busy")

	const writersPerDB, rounds = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*writersPerDB*rounds*2)
	for i, s := range stores {
		for w := range writersPerDB {
			wg.Go(func() {
				for r := range rounds {
					err := s.Tx(t.Context(), func(tx recoup.Tx) error {
						ev := recoup.Event{ID: fmt.Sprintf("evt_%d_%d_%d", i, w, r), Status: recoup.EventPending}
						if _, err := tx.InsertEvent(&ev); err != nil {
							return err
						}
						cur, err := tx.Case(c.ID)
						if err != nil {
							return err
						}
						cur.Attempts++
						if err := tx.UpdateCase(&cur); err != nil {
							return err
						}
						return tx.Enqueue(recoup.Job{Kind: recoup.JobProcessEvent, EventID: ev.ID})
					})
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Go(func() { // a reader
			for range rounds {
				if _, err := s.Cases(t.Context(), recoup.CaseFilter{}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent transaction: %v", err)
	}
	const total = 2 * writersPerDB * rounds
	if got, err := stores[1].Case(t.Context(), c.ID); err != nil || got.Attempts != total {
		t.Fatalf("case after %d increments: Attempts %d, %v", total, got.Attempts, err)
	}
	if jobs := committedJobs(t, dbs[0]); len(jobs) != total {
		t.Fatalf("%d jobs committed, want %d", len(jobs), total)
	}
}

// createCase creates an open case of the invoice.
func createCase(t testing.TB, s recoup.Store, invoiceID string) recoup.Case {
	t.Helper()
	c := recoup.Case{InvoiceID: invoiceID, CustomerID: "cus_1", State: recoup.StateOpen}
	if err := s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.CreateCase(&c) }); err != nil {
		t.Fatal(err)
	}
	return c
}
