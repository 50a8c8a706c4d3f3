package sqlite

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// A scratch store, its file's only writer, answers that a customer has no past invoice and no
// payment-method change from its key sets, without a query; what the store writes enters them.
// A row written past the store (which a scratch database never has) is not seen once the set
// is loaded: that is how the test tells the answer came without a query.
func TestScratchKeySets(t *testing.T) {
	db, s := openScratchTestStore(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pastInvoices := func(customerID string) (n int) {
		t.Helper()
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			past, err := tx.PastInvoices(customerID, at.Add(time.Hour), 10)
			n = len(past)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	change := func(customerID string) (found bool) {
		t.Helper()
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			_, err := tx.PaymentMethodChange(customerID)
			return err
		})
		if err != nil && recoup.ErrorCode(err) != recoup.ENOTFOUND {
			t.Fatal(err)
		}
		return err == nil
	}
	if pastInvoices("cus_1") != 0 || change("cus_1") {
		t.Fatal("an empty store has a past invoice or a payment-method change")
	}
	if _, err := db.SQL().ExecContext(t.Context(), `INSERT INTO history_invoices (id, customer_id, country, amount,
		currency, category, first_failed_at, ended, ended_at) VALUES ('in_past', 'cus_1', 'US', 1000, 'usd', 'funds', ?, 'paid', ?)`,
		at.Add(-48*time.Hour).UnixMicro(), at.Add(-24*time.Hour).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(t.Context(), `INSERT INTO payment_method_changes (customer_id, payment_method_id,
		refreshed, changed_at, event_id) VALUES ('cus_1', 'pm_1', 0, ?, 'evt_1')`, at.UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if pastInvoices("cus_1") != 0 || change("cus_1") {
		t.Error("a scratch store queried for a customer its key sets hold no row of")
	}

	err := s.Tx(t.Context(), func(tx recoup.Tx) error {
		if err := tx.SaveHistoryInvoice(recoup.PastInvoice{ID: "in_2", CustomerID: "cus_2", Country: "US", Amount: 500,
			Currency: "usd", Category: recoup.CategoryFunds, FirstFailedAt: at.Add(-48 * time.Hour), Ended: "paid",
			EndedAt: at.Add(-24 * time.Hour)}); err != nil {
			return err
		}
		return tx.RecordPaymentMethodChange(&recoup.PaymentMethodChange{CustomerID: "cus_2", PaymentMethodID: "pm_2", At: at, EventID: "evt_2"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if pastInvoices("cus_2") != 1 {
		t.Error("a past invoice stored through the scratch store was not read back")
	}
	if !change("cus_2") {
		t.Error("a payment-method change recorded through the scratch store was not read back")
	}
}
