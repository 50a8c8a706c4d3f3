package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// cacheTestCase returns a case with every pointer and time set, times at nanosecond precision
// and outside UTC, as a caller may hand them to the store.
func cacheTestCase(invoiceID string) recoup.Case {
	loc := time.FixedZone("UTC-5", -5*3600)
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, loc)
	return recoup.Case{InvoiceID: invoiceID, CustomerID: "cus_1", SubscriptionID: "sub_1", CustomerEmail: "a@example.com",
		Amount: recoup.Money{Amount: 1000, Currency: "usd"}, State: recoup.StateScheduled, Category: recoup.CategoryFunds,
		LastDecline:   &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds", Message: "é", Category: recoup.CategoryFunds},
		FirstFailedAt: at, LastAttemptAt: at.Add(time.Hour), CreatedAt: at, UpdatedAt: at.Add(time.Minute),
		NextAction: &recoup.Action{Seq: 1, Kind: recoup.ActionRetry, At: at.Add(48 * time.Hour), Reason: "payday"}, PlanSeq: 1,
		Segment: "default", CustomerCountry: "US", CustomerRegion: "NY"}
}

// openScratchTestStore opens a migrated scratch database in the test's directory, closed with
// the test, and its store.
func openScratchTestStore(t *testing.T) (*DB, *Store) {
	t.Helper()
	db, err := OpenScratch(t.Context(), filepath.Join(t.TempDir(), "cases.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db, NewStore(db, nil)
}

// changeCase reads the case in tx, applies change and updates it.
func changeCase(tx recoup.Tx, id int64, change func(*recoup.Case)) error {
	cur, err := tx.Case(id)
	if err != nil {
		return err
	}
	change(&cur)
	return tx.UpdateCase(&cur)
}

// rowCase reads the case's row, past the cache.
func rowCase(t *testing.T, db *DB, id int64) recoup.Case {
	t.Helper()
	c, err := getCase(t.Context(), db.SQL(), `id = ?`, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCase(t *testing.T, what string, want, got recoup.Case) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func TestCaseCache(t *testing.T) {
	t.Run("a written case is cached as its row reads", func(t *testing.T) {
		db, s := openScratchTestStore(t)
		c := cacheTestCase("in_1")
		mustTxCache(t, s, func(tx recoup.Tx) error { return tx.CreateCase(&c) })
		cached, ok := db.cases.Get(c.ID, 1)
		if !ok {
			t.Fatal("the created case is not cached")
		}
		wantCase(t, "cached after create", rowCase(t, db, c.ID), cached)
		mustTxCache(t, s, func(tx recoup.Tx) error {
			c.LastDecline, c.NextAction, c.ResolvedAt = nil, nil, c.UpdatedAt.Add(time.Nanosecond)
			return tx.UpdateCase(&c)
		})
		cached, ok = db.cases.Get(c.ID, 2)
		if !ok {
			t.Fatal("the updated case is not cached")
		}
		wantCase(t, "cached after update", rowCase(t, db, c.ID), cached)
	})

	t.Run("a resolved case leaves the cache and is read from its row", func(t *testing.T) {
		db, s := openScratchTestStore(t)
		c := cacheTestCase("in_1")
		mustTxCache(t, s, func(tx recoup.Tx) error { return tx.CreateCase(&c) })
		mustTxCache(t, s, func(tx recoup.Tx) error {
			c.State, c.RecoveredBy, c.ResolvedAt = recoup.StateRecovered, recoup.ByCustomerPaid, c.UpdatedAt
			return tx.UpdateCase(&c)
		})
		if _, ok := db.cases.Get(c.ID, 2); ok {
			t.Error("the recovered case is cached")
		}
		got, err := s.Case(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantCase(t, "read of the recovered case", rowCase(t, db, c.ID), got)
	})

	t.Run("a transaction reads its own update", func(t *testing.T) {
		db, s := openScratchTestStore(t)
		c := cacheTestCase("in_1")
		mustTxCache(t, s, func(tx recoup.Tx) error { return tx.CreateCase(&c) })
		mustTxCache(t, s, func(tx recoup.Tx) error {
			if err := changeCase(tx, c.ID, func(cur *recoup.Case) { cur.State, cur.Attempts = recoup.StateRetrying, 1 }); err != nil {
				return err
			}
			again, err := tx.Case(c.ID)
			if err != nil {
				return err
			}
			byInvoice, err := tx.CaseByInvoice(c.InvoiceID)
			if err != nil {
				return err
			}
			row := rowCaseTx(t, tx)
			wantCase(t, "read by id after the update", row, again)
			wantCase(t, "read by invoice after the update", row, byInvoice)
			return nil
		})
		if got := rowCase(t, db, c.ID); got.Version != 2 || got.State != recoup.StateRetrying {
			t.Errorf("row after commit: version %d, state %s", got.Version, got.State)
		}
	})

	t.Run("a rolled-back update is never read", func(t *testing.T) {
		stores := openSharedStores(t)
		c := cacheTestCase("in_1")
		mustTxCache(t, stores[0], func(tx recoup.Tx) error { return tx.CreateCase(&c) })
		errRollback := errors.New("roll back")
		err := stores[0].Tx(t.Context(), func(tx recoup.Tx) error {
			cur, err := tx.Case(c.ID)
			if err != nil {
				return err
			}
			cur.State = recoup.StateClosed // version 2, rolled back
			if err := tx.UpdateCase(&cur); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
		// Another process's update takes version 2 again, with other content.
		mustTxCache(t, stores[1], func(tx recoup.Tx) error {
			return changeCase(tx, c.ID, func(cur *recoup.Case) { cur.Attempts = 5 })
		})
		got, err := stores[0].Case(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != recoup.StateScheduled || got.Attempts != 5 || got.Version != 2 {
			t.Errorf("got state %s, %d attempts at version %d; want scheduled, 5 at 2", got.State, got.Attempts, got.Version)
		}
		mustTxCache(t, stores[0], func(tx recoup.Tx) error {
			cur, err := tx.Case(c.ID)
			if err == nil && (cur.State != recoup.StateScheduled || cur.Attempts != 5) {
				t.Errorf("in a transaction: state %s, %d attempts; want scheduled, 5", cur.State, cur.Attempts)
			}
			return err
		})
	})

	t.Run("a change made through another database is read", func(t *testing.T) {
		stores := openSharedStores(t)
		c := cacheTestCase("in_1")
		mustTxCache(t, stores[0], func(tx recoup.Tx) error { return tx.CreateCase(&c) })
		if _, err := stores[0].Case(t.Context(), c.ID); err != nil { // cached by both reads
			t.Fatal(err)
		}
		mustTxCache(t, stores[1], func(tx recoup.Tx) error {
			return changeCase(tx, c.ID, func(cur *recoup.Case) { cur.Attempts = 7 })
		})
		got, err := stores[0].Case(t.Context(), c.ID)
		if err != nil || got.Attempts != 7 || got.Version != 2 {
			t.Fatalf("read through the first database: %d attempts at version %d, %v; want 7 at 2", got.Attempts, got.Version, err)
		}
		mustTxCache(t, stores[0], func(tx recoup.Tx) error {
			cur, err := tx.Case(c.ID)
			if err != nil || cur.Attempts != 7 {
				t.Errorf("read in a transaction of the first database: %d attempts, %v; want 7", cur.Attempts, err)
			}
			return err
		})
	})

	t.Run("a scratch database reads a cached case by id without its row", func(t *testing.T) {
		db, s := openScratchTestStore(t)
		c := cacheTestCase("in_1")
		mustTxCache(t, s, func(tx recoup.Tx) error { return tx.CreateCase(&c) })
		// Only this store writes a scratch database, and its writes move the version: a row
		// changed behind its back (here, without moving the version) is not read again.
		if _, err := db.SQL().ExecContext(t.Context(), `UPDATE cases SET attempts = 99 WHERE id = ?`, c.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.Case(t.Context(), c.ID)
		if err != nil || got.Attempts != c.Attempts {
			t.Fatalf("read: %d attempts, %v; want the cached %d", got.Attempts, err, c.Attempts)
		}
		mustTxCache(t, s, func(tx recoup.Tx) error {
			got, err := tx.Case(c.ID)
			if err != nil || got.Attempts != c.Attempts {
				t.Errorf("read in a transaction: %d attempts, %v; want the cached %d", got.Attempts, err, c.Attempts)
			}
			return err
		})
		mustTxCache(t, s, func(tx recoup.Tx) error {
			got, err := tx.CaseByInvoice(c.InvoiceID)
			if err != nil || got.ID != c.ID || got.Attempts != c.Attempts {
				t.Errorf("read by invoice: case %d, %d attempts, %v; want the cached %d, %d", got.ID, got.Attempts, err, c.ID, c.Attempts)
			}
			return err
		})
	})

	t.Run("a scratch database reads by invoice a case moved to another invoice from its row", func(t *testing.T) {
		_, s := openScratchTestStore(t)
		c := cacheTestCase("in_1")
		mustTxCache(t, s, func(tx recoup.Tx) error { return tx.CreateCase(&c) })
		mustTxCache(t, s, func(tx recoup.Tx) error {
			if err := changeCase(tx, c.ID, func(cur *recoup.Case) { cur.InvoiceID = "in_2" }); err != nil {
				return err
			}
			if _, err := tx.CaseByInvoice("in_1"); recoup.ErrorCode(err) != recoup.ENOTFOUND {
				t.Errorf("in the transaction, the old invoice's case: %v, want not found", err)
			}
			return nil
		})
		if err := s.Tx(t.Context(), func(tx recoup.Tx) error { _, err := tx.CaseByInvoice("in_1"); return err }); recoup.ErrorCode(err) != recoup.ENOTFOUND {
			t.Errorf("after the commit, the old invoice's case: %v, want not found", err)
		}
		mustTxCache(t, s, func(tx recoup.Tx) error {
			got, err := tx.CaseByInvoice("in_2")
			if err != nil || got.ID != c.ID {
				t.Errorf("the new invoice's case: %d, %v; want %d", got.ID, err, c.ID)
			}
			return err
		})
	})

	t.Run("changing a case read changes nothing cached", func(t *testing.T) {
		db, s := openScratchTestStore(t)
		c := cacheTestCase("in_1")
		mustTxCache(t, s, func(tx recoup.Tx) error { return tx.CreateCase(&c) })
		row := rowCase(t, db, c.ID)
		for range 2 { // once from a transaction's cases, once from the shared cache
			mustTxCache(t, s, func(tx recoup.Tx) error {
				for range 2 {
					cur, err := tx.Case(c.ID)
					if err != nil {
						return err
					}
					wantCase(t, "read", row, cur)
					cur.LastDecline.Code, cur.NextAction.Reason, cur.State = "changed", "changed", recoup.StateClosed
				}
				return nil
			})
		}
		got, err := s.Case(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.LastDecline.Code = "changed"
		if again, _ := s.Case(t.Context(), c.ID); again.LastDecline.Code == "changed" {
			t.Error("a change to a case read outside a transaction reached the cache")
		}
	})
}

// openSharedStores opens two stores on one database file, as two processes would.
func openSharedStores(t *testing.T) []*Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shared.db")
	var stores []*Store
	for range 2 {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		stores = append(stores, NewStore(db, nil))
	}
	return stores
}

// rowCaseTx reads the row of the transaction's only case, past the cache.
func rowCaseTx(t *testing.T, rtx recoup.Tx) recoup.Case {
	t.Helper()
	st := rtx.(*tx)
	c, err := getCase(st.ctx, st.q, `1 = ?`, 1)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustTxCache(t *testing.T, s *Store, fn func(tx recoup.Tx) error) {
	t.Helper()
	if err := s.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}
