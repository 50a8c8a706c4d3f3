// Package storetest is the specification of recoup.Store: one conformance suite that every
// implementation runs against a real database, so that SQLite and PostgreSQL behave alike.
package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// KindRejected is a job kind the harness's enqueue hook must refuse with an error, so that the
// suite can check that a failing hook rolls the transaction back.
const KindRejected recoup.JobKind = "storetest_rejected"

// Harness is a store under test, on a fresh migrated database of its own.
type Harness struct {
	Store recoup.Store
	// Jobs returns the jobs the store's enqueue hook inserted, in order, committed ones only:
	// the hook is expected to write them to a table inside the transaction, as River does, and
	// Jobs to read that table.
	Jobs func() []recoup.Job
	// Unmigrated opens a store on a fresh database that has not been migrated. If nil, the
	// suite does not check that such a store is not Ready.
	Unmigrated func(t *testing.T) recoup.Store
	// Unisolated says that the store's reads outside transactions share one connection with
	// its writes and see them at once (the simulator's scratch SQLite store): the suite does
	// not check that an analytics read or CaseDetail keeps its snapshot.
	Unisolated bool
	// AfterCaseRead makes the store's CaseDetail call f between its read of the case and its
	// reads of the case's history, where the suite commits a change from another connection.
	// If nil, the suite does not check that CaseDetail keeps its snapshot.
	AfterCaseRead func(f func())
}

// Run runs the conformance suite. newStore is called once per test, which may run in
// parallel with the others; it should register its cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) Harness) {
	RunCore(t, newStore)
	t.Run("ExperimentResults", func(t *testing.T) { testExperimentResults(t, newStore) })
	t.Run("HistoryRead", func(t *testing.T) { testHistoryRead(t, newStore) })
	t.Run("LLMUsage", func(t *testing.T) { testLLMUsage(t, newStore) })
	t.Run("PersonalData", func(t *testing.T) { testPersonalData(t, newStore) })
}

// RunCore runs the part of the suite that specifies recoup.Store and recoup.Tx, with the
// optional transaction interfaces the engine uses (recoup.ExperimentTx, recoup.SMSConsents,
// recoup.CostRecorder; the offer and cost reads are skipped by a store without them): what a
// store that only runs the engine (the simulator's memstore) must do. Run runs it too.
func RunCore(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("Case", func(t *testing.T) { testCase(t, newStore) })
	t.Run("CaseDetail", func(t *testing.T) { testCaseDetail(t, newStore) })
	t.Run("Cases", func(t *testing.T) { testCases(t, newStore) })
	t.Run("Event", func(t *testing.T) { testEvent(t, newStore) })
	t.Run("Experiments", func(t *testing.T) { testExperiments(t, newStore) })
	t.Run("History", func(t *testing.T) { testHistory(t, newStore) })
	t.Run("HistoryImport", func(t *testing.T) { testHistoryImport(t, newStore) })
	t.Run("Messages", func(t *testing.T) { testMessages(t, newStore) })
	t.Run("Notices", func(t *testing.T) { testNotices(t, newStore) })
	t.Run("Observations", func(t *testing.T) { testObservations(t, newStore) })
	t.Run("PaymentMethodChanges", func(t *testing.T) { testPaymentMethodChanges(t, newStore) })
	t.Run("Suppressions", func(t *testing.T) { testSuppressions(t, newStore) })
	t.Run("CustomerPaths", func(t *testing.T) { testCustomerPaths(t, newStore) })
	t.Run("Tx", func(t *testing.T) { testTx(t, newStore) })
}

// base is a time in a zone other than UTC, with nanoseconds: the store must return it in UTC,
// at microsecond precision.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("EST", -5*3600))

// stored returns t as the store returns it.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// storedCase returns c as the store returns it.
func storedCase(c recoup.Case) recoup.Case {
	c.FirstFailedAt = stored(c.FirstFailedAt)
	c.LastAttemptAt = stored(c.LastAttemptAt)
	c.CreatedAt = stored(c.CreatedAt)
	c.UpdatedAt = stored(c.UpdatedAt)
	c.ResolvedAt = stored(c.ResolvedAt)
	c.TakenOverAt = stored(c.TakenOverAt)
	if c.NextAction != nil {
		a := *c.NextAction
		a.At = stored(a.At)
		c.NextAction = &a
	}
	return c
}

// fullCase returns a case of the invoice with every field set.
func fullCase(invoiceID string) recoup.Case {
	return recoup.Case{
		InvoiceID:       invoiceID,
		CustomerID:      "cus_full",
		SubscriptionID:  "sub_full",
		CustomerEmail:   "ada@example.com",
		CustomerCountry: "US", CustomerRegion: "TX",
		Amount:   recoup.Money{Amount: 4999, Currency: "usd"},
		State:    recoup.StateScheduled,
		Category: recoup.CategoryFunds,
		LastDecline: &recoup.Decline{
			Code: "card_declined", DeclineCode: "insufficient_funds", AdviceCode: "try_again_later",
			NetworkAdviceCode: "02", NetworkDeclineCode: "51", OutcomeType: "issuer_declined",
			OutcomeReason: "insufficient_funds", NetworkStatus: "declined_by_network",
			Message: "Your card has insufficient funds.", CardBrand: "visa", Category: recoup.CategoryFunds,
		},
		PaymentMethodID:    "pm_old",
		NewPaymentMethodID: "pm_new",
		CardSource:         recoup.CardRefreshed,
		NewCardSource:      recoup.CardCustomer,
		Attempts:           2,
		StripeAttempts:     3,
		FirstFailedAt:      base,
		LastAttemptAt:      base.Add(49 * time.Hour),
		NextAction:         &recoup.Action{Seq: 3, Kind: recoup.ActionRetry, At: base.Add(96 * time.Hour), Reason: "payday"},
		PlanSeq:            3,
		RecoveredBy:        recoup.ByCustomerNewCard,
		FinalAction:        recoup.FinalMarkUncollectible,
		ClosedReason:       "voided",
		CreatedAt:          base.Add(time.Second),
		UpdatedAt:          base.Add(50 * time.Hour),
		ResolvedAt:         base.Add(51 * time.Hour),
		Segment:            "high-value",
		Review:             recoup.ReviewApproved,
		ReviewedBy:         "ops@example.com",
		ShadowCharges:      2,
		Experiment:         "recoup-vs-stripe",
		Arm:                "recoup",
		TakenOverAt:        base.Add(2 * time.Minute),
		TakeoverRound:      2,
		Backup:             recoup.BackupExhausted,
	}
}

// minimalCase returns a case of the invoice with only what a new case needs.
func minimalCase(invoiceID, customerID string) recoup.Case {
	return recoup.Case{
		InvoiceID:  invoiceID,
		CustomerID: customerID,
		Amount:     recoup.Money{Amount: 1200, Currency: "jpy"},
		State:      recoup.StateOpen,
		Category:   recoup.CategoryUnknown,
		CreatedAt:  base,
		UpdatedAt:  base,
	}
}

// createCase stores c in its own transaction and returns it with its ID and Version.
func createCase(t *testing.T, s recoup.Store, c recoup.Case) recoup.Case {
	t.Helper()
	mustTx(t, s, func(tx recoup.Tx) error { return tx.CreateCase(&c) })
	return c
}

// mustTx runs fn in a transaction and fails the test if it returns an error.
func mustTx(t *testing.T, s recoup.Store, fn func(tx recoup.Tx) error) {
	t.Helper()
	if err := s.Tx(t.Context(), fn); err != nil {
		t.Fatalf("Tx: %v", err)
	}
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := recoup.ErrorCode(err); got != code {
		t.Fatalf("error code: want %q, got %q (err: %v)", code, got, err)
	}
}

// wantEqual fails the test if got differs from want.
func wantEqual[T any](t *testing.T, what string, want, got T) {
	t.Helper()
	if d := diff(want, got); d != "" {
		t.Fatalf("%s differs (want, got):\n%s", what, d)
	}
}

// errRollback is returned by transactions that must roll back.
var errRollback = errors.New("storetest: roll back")

// readCase reads a case outside any transaction and fails the test on error.
func readCase(t *testing.T, s recoup.Store, id int64) recoup.Case {
	t.Helper()
	c, err := s.Case(t.Context(), id)
	if err != nil {
		t.Fatalf("Case(%d): %v", id, err)
	}
	return c
}

// wantCursor fails the test unless the cursor has the value.
func wantCursor(t *testing.T, s recoup.Store, name, want string) {
	t.Helper()
	mustTx(t, s, func(tx recoup.Tx) error {
		got, err := tx.Cursor(name)
		if err != nil {
			return err
		}
		if got != want {
			t.Errorf("cursor %s = %q, want %q", name, got, want)
		}
		return nil
	})
}
