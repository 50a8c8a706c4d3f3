package storetest

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func testPaymentMethodChanges(t *testing.T, newStore func(t *testing.T) Harness) {
	// record records the changes, one transaction each, as separate events would.
	record := func(t *testing.T, s recoup.Store, chs ...recoup.PaymentMethodChange) {
		t.Helper()
		for _, ch := range chs {
			mustTx(t, s, func(tx recoup.Tx) error { return tx.RecordPaymentMethodChange(&ch) })
		}
	}
	read := func(t *testing.T, s recoup.Store, customerID string) (ch recoup.PaymentMethodChange, err error) {
		t.Helper()
		mustTx(t, s, func(tx recoup.Tx) error {
			ch, err = tx.PaymentMethodChange(customerID)
			return nil
		})
		return ch, err
	}
	want := func(t *testing.T, s recoup.Store, w recoup.PaymentMethodChange) {
		t.Helper()
		got, err := read(t, s, w.CustomerID)
		if err != nil {
			t.Fatalf("PaymentMethodChange(%s): %v", w.CustomerID, err)
		}
		w.At = stored(w.At)
		wantEqual(t, "Tx.PaymentMethodChange", w, got)
	}
	sec := base.Truncate(time.Second) // Stripe's event times are whole seconds
	change := func(customer, pm string, refreshed bool, at time.Time, event string) recoup.PaymentMethodChange {
		return recoup.PaymentMethodChange{CustomerID: customer, PaymentMethodID: pm, Refreshed: refreshed, At: at, EventID: event}
	}

	t.Run("a customer without a change is not found", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		_, err := read(t, s, "cus_none")
		wantCode(t, err, recoup.ENOTFOUND)
	})
	t.Run("the newest change stands, whatever the order of recording", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		newer := change("cus_1", "pm_new", false, sec.Add(time.Minute), "evt_2")
		record(t, s, change("cus_1", "pm_a", true, sec, "evt_1"), newer)
		want(t, s, newer)
		// An older change delivered late, and the newest delivered again: nothing changes.
		record(t, s, change("cus_1", "pm_old", true, sec.Add(-time.Hour), "evt_0"), newer)
		want(t, s, newer)
	})
	t.Run("in the same second the last recorded card stands, refreshed if either said so", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		record(t, s, change("cus_1", "pm_a", true, sec, "evt_1"), change("cus_1", "pm_a", false, sec, "evt_2"))
		want(t, s, change("cus_1", "pm_a", true, sec, "evt_2"))
		record(t, s, change("cus_1", "pm_b", false, sec, "evt_3"))
		want(t, s, change("cus_1", "pm_b", false, sec, "evt_3"))
	})
	t.Run("changes are kept per customer", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		a, b := change("cus_a", "pm_a", false, base, "evt_a"), change("cus_b", "pm_b", true, sec, "evt_b")
		record(t, s, a, b)
		want(t, s, a)
		want(t, s, b)
	})
	t.Run("pruning deletes the changes made before the time", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		kept := change("cus_new", "pm_b", false, sec, "evt_2")
		record(t, s, change("cus_old", "pm_a", false, sec.Add(-time.Second), "evt_1"), kept)
		mustTx(t, s, func(tx recoup.Tx) error {
			n, err := tx.PrunePaymentMethodChanges(sec)
			if err == nil && n != 1 {
				t.Errorf("pruned %d changes, want 1", n)
			}
			return err
		})
		if _, err := read(t, s, "cus_old"); recoup.ErrorCode(err) != recoup.ENOTFOUND {
			t.Errorf("pruned change read: error %v, want ENOTFOUND", err)
		}
		want(t, s, kept)
	})
	t.Run("an invalid change is refused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		for _, ch := range []recoup.PaymentMethodChange{
			change("", "pm_a", false, sec, ""), change("cus_1", "", false, sec, ""), change("cus_1", "pm_a", false, time.Time{}, ""),
		} {
			err := s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.RecordPaymentMethodChange(&ch) })
			if code := recoup.ErrorCode(err); code != recoup.EINVALID {
				t.Errorf("RecordPaymentMethodChange(%+v): error %v (code %q), want EINVALID", ch, err, code)
			}
		}
	})
}
