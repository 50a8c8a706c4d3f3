package storetest

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// testHistoryRead specifies ReadHistory: the latest import, the period's failed invoices with
// their charges (also those after the period), and every charge of the period, oldest first.
func testHistoryRead(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("not found before any import", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		_, err := s.(recoup.HistoryReader).ReadHistory(t.Context(), base, base.Add(time.Hour))
		if !recoup.IsNotFound(err) {
			t.Fatalf("history read before any import: %v, want not found", err)
		}
	})

	t.Run("the period's invoices with their charges, and its charges", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		day := 24 * time.Hour
		// in_1 fails in the period and is paid after it; in_2 fails before it; ch_free is a
		// first-try success of the period; ch_late is after the period and of no invoice.
		chs := []recoup.HistoricalCharge{
			historyCharge("ch_1a", "pi_1", base.Add(day), true),
			historyCharge("ch_1b", "pi_1", base.Add(3*day), false),
			historyCharge("ch_2a", "pi_2", base.Add(-day), true),
			historyCharge("ch_2b", "pi_2", base.Add(time.Hour), true),
			historyCharge("ch_free", "pi_3", base.Add(2*day), false),
			historyCharge("ch_late", "pi_4", base.Add(5*day), false),
		}
		inv1 := recoup.PastInvoice{ID: "in_1", CustomerID: "cus_1", Country: "FR", Amount: 4200, Currency: "eur",
			Category: recoup.CategoryFunds, FirstFailedAt: base.Add(day), Ended: recoup.PastPaidByRetry, EndedAt: base.Add(3 * day)}
		inv2 := recoup.PastInvoice{ID: "in_2", CustomerID: "cus_2", Country: "FR", Amount: 4200, Currency: "eur",
			Category: recoup.CategoryFunds, FirstFailedAt: base.Add(-day)}
		h := recoup.HistoryImport{Since: base.Add(-365 * day), Phase: recoup.ImportDone, Charges: 6, Invoices: 2,
			StartedAt: base.Add(10 * day), UpdatedAt: base.Add(10 * day), FinishedAt: base.Add(10 * day)}
		mustTx(t, s, func(tx recoup.Tx) error {
			if _, err := tx.AddHistoryCharges(chs); err != nil {
				return err
			}
			stored, err := tx.HistoryCharges([]string{"pi_1", "pi_2"}, nil)
			if err != nil {
				return err
			}
			inv1.Attempts, inv2.Attempts = stored[2:], stored[:2] // ch_2a, ch_2b, ch_1a, ch_1b
			if err := tx.SaveHistoryInvoice(inv1); err != nil {
				return err
			}
			if err := tx.SaveHistoryInvoice(inv2); err != nil {
				return err
			}
			return tx.SaveHistoryImport(&h)
		})
		got, err := s.(recoup.HistoryReader).ReadHistory(t.Context(), base, base.Add(4*day))
		if err != nil {
			t.Fatal(err)
		}
		charge := func(i int, invoice string) recoup.HistoryCharge {
			ch := chs[i]
			ch.Created = stored(ch.Created)
			return recoup.HistoryCharge{HistoricalCharge: ch, InvoiceID: invoice}
		}
		wantInv := inv1
		wantInv.FirstFailedAt, wantInv.EndedAt = stored(inv1.FirstFailedAt), stored(inv1.EndedAt)
		wantInv.Attempts = []recoup.HistoryCharge{charge(0, "in_1"), charge(1, "in_1")}
		wantImport := h
		wantImport.Since, wantImport.StartedAt, wantImport.UpdatedAt, wantImport.FinishedAt =
			stored(h.Since), stored(h.StartedAt), stored(h.UpdatedAt), stored(h.FinishedAt)
		want := recoup.HistoryRecord{
			Import:   wantImport,
			Invoices: []recoup.PastInvoice{wantInv},
			Charges:  []recoup.HistoryCharge{charge(3, "in_2"), charge(0, "in_1"), charge(4, ""), charge(1, "in_1")},
		}
		if d := diff(want, got); d != "" {
			t.Errorf("history of the period (-want +got):\n%s", d)
		}
	})
}
