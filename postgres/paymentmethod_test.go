package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/postgres"
)

// Under READ COMMITTED, a payment-method change recorded while a case of the customer opens
// would reach neither: the recorder lists the open cases without the uncommitted case, and the
// opening reads the change without the uncommitted change. The customer's lock orders them: the
// second waits for the first to commit, and then sees its row. Each subtest holds the first
// transaction open until the second is seen waiting on the lock.
func TestPaymentMethodChangeAndCaseOpeningWaitForEachOther(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	change := recoup.PaymentMethodChange{CustomerID: "cus_lock", PaymentMethodID: "pm_new", At: at, EventID: "evt_pm"}
	record := func(tx recoup.Tx) (int, error) {
		if err := tx.RecordPaymentMethodChange(&change); err != nil {
			return 0, err
		}
		cases, err := tx.OpenCases("cus_lock", "")
		return len(cases), err
	}
	open := func(tx recoup.Tx) (int, error) {
		c := recoup.Case{InvoiceID: "in_lock", CustomerID: "cus_lock", Amount: recoup.Money{Amount: 900, Currency: "usd"},
			State: recoup.StateOpen, Category: recoup.CategoryUnknown, FirstFailedAt: at, CreatedAt: at, UpdatedAt: at}
		if err := tx.CreateCase(&c); err != nil {
			return 0, err
		}
		_, err := tx.PaymentMethodChange("cus_lock")
		if recoup.IsNotFound(err) {
			return 0, nil
		}
		return 1, err
	}
	for _, tt := range []struct {
		name          string
		first, second func(recoup.Tx) (int, error)
	}{
		{"a case opening while a change is recorded reads the change", record, open},
		{"a change recorded while a case opens lists the case", open, record},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: advisory locks are the database's, whatever the schema.
			db := openDB(t)
			s := postgres.NewStore(db, jobTable(t, db))
			ran, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			var once sync.Once
			let := func() { once.Do(func() { close(release) }) }
			t.Cleanup(func() { let(); <-firstDone }) // before the database closes, on failure too
			go func() {
				firstDone <- s.Tx(t.Context(), func(tx recoup.Tx) error {
					if _, err := tt.first(tx); err != nil {
						return err
					}
					close(ran)
					<-release
					return nil
				})
			}()
			<-ran
			var seen int
			secondDone := make(chan error, 1)
			go func() {
				secondDone <- s.Tx(t.Context(), func(tx recoup.Tx) (err error) {
					seen, err = tt.second(tx)
					return err
				})
			}()
			waitForAdvisoryWaiter(t, db, secondDone)
			let()
			if err := <-secondDone; err != nil {
				t.Fatal(err)
			}
			if seen != 1 {
				t.Fatal("the second transaction missed what the first committed")
			}
		})
	}
}

// waitForAdvisoryWaiter returns once a session is waiting on the customer's payment-method lock,
// and fails the test if done (the second transaction) finishes first: it did not wait.
func waitForAdvisoryWaiter(t *testing.T, db *postgres.DB, done chan error) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		var n int
		err := db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE '%recoup payment methods%'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the second transaction did not wait for the first (error %v)", err)
		case <-deadline:
			t.Fatal("the second transaction never waited on the customer's lock")
		case <-tick.C:
		}
	}
}
