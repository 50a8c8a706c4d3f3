package storetest

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func historyCharge(id, pi string, at time.Time, failed bool) recoup.HistoricalCharge {
	ch := recoup.HistoricalCharge{ID: id, Created: at, Amount: 4200, Currency: "eur", Status: "succeeded", CustomerID: "cus_1",
		PaymentIntentID: pi, PaymentMethodID: "pm_1", CardBrand: "visa", CardFunding: "debit", CardCountry: "FR"}
	if failed {
		ch.Status = "failed"
		ch.Decline = &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds", AdviceCode: "try_again_later",
			NetworkDeclineCode: "51", OutcomeType: "issuer_declined", CardFunding: "debit", CardCountry: "FR"}
	}
	return ch
}

func testHistoryImport(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("charges are stored once, joined to their invoice and learned", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		chs := []recoup.HistoricalCharge{
			historyCharge("ch_3", "pi_1", base.Add(96*time.Hour), false),
			historyCharge("ch_2", "pi_1", base.Add(48*time.Hour), true),
			historyCharge("ch_1", "pi_1", base, true),
			historyCharge("ch_9", "", base, false),
			historyCharge("ch_other", "pi_2", base, false),
		}
		var added, again int
		mustTx(t, s, func(tx recoup.Tx) (err error) {
			if added, err = tx.AddHistoryCharges(chs[:3]); err != nil {
				return err
			}
			again, err = tx.AddHistoryCharges(chs)
			return err
		})
		if added != 3 || again != 2 {
			t.Errorf("added %d then %d charges, want 3 then the 2 new ones", added, again)
		}
		var got []recoup.HistoryCharge
		mustTx(t, s, func(tx recoup.Tx) (err error) {
			got, err = tx.HistoryCharges([]string{"pi_1"}, []string{"ch_9"})
			return err
		})
		var want []recoup.HistoryCharge
		for _, i := range []int{2, 3, 1, 0} { // oldest first, then by ID
			ch := chs[i]
			ch.Created = stored(ch.Created)
			want = append(want, recoup.HistoryCharge{HistoricalCharge: ch})
		}
		if d := diff(want, got); d != "" {
			t.Errorf("charges of pi_1 and ch_9 (-want +got):\n%s", d)
		}

		// ch_9 (a bare charge at the same time as ch_1) is another invoice's.
		mine := []recoup.HistoryCharge{got[0], got[2], got[3]}
		inv := recoup.PastInvoice{ID: "in_1", CustomerID: "cus_1", Country: "FR", Amount: 4200, Currency: "eur",
			Category: recoup.CategoryFunds, FirstFailedAt: base, Attempts: mine}
		mustTx(t, s, func(tx recoup.Tx) error { return tx.SaveHistoryInvoice(inv) })
		var todo []recoup.PastInvoice
		mustTx(t, s, func(tx recoup.Tx) (err error) { todo, err = tx.UnlearnedHistory(10); return err })
		wantInv := inv
		wantInv.FirstFailedAt = stored(base)
		wantInv.Attempts = nil
		for _, ch := range mine {
			ch.InvoiceID = "in_1"
			wantInv.Attempts = append(wantInv.Attempts, ch)
		}
		if d := diff([]recoup.PastInvoice{wantInv}, todo); d != "" {
			t.Errorf("unlearned history (-want +got):\n%s", d)
		}
		mustTx(t, s, func(tx recoup.Tx) error { return tx.MarkHistoryLearned([]string{"ch_1", "ch_2"}) })
		mustTx(t, s, func(tx recoup.Tx) (err error) { todo, err = tx.UnlearnedHistory(10); return err })
		if len(todo) != 1 || !todo[0].Attempts[0].Learned || !todo[0].Attempts[1].Learned || todo[0].Attempts[2].Learned {
			t.Errorf("after marking two charges learned: %+v, want in_1 with its third charge unlearned", todo)
		}
		mustTx(t, s, func(tx recoup.Tx) error { return tx.MarkHistoryLearned([]string{"ch_3"}) })
		mustTx(t, s, func(tx recoup.Tx) (err error) { todo, err = tx.UnlearnedHistory(10); return err })
		if len(todo) != 0 {
			t.Errorf("unlearned history after learning every charge: %+v", todo)
		}
	})

	t.Run("a customer's past invoices that ended before a time, the latest first", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		invs := []recoup.PastInvoice{
			{ID: "in_a", CustomerID: "cus_1", Amount: 100, Currency: "usd", Category: recoup.CategoryFunds, FirstFailedAt: base,
				Ended: recoup.PastPaidByRetry, EndedAt: base.Add(72 * time.Hour)},
			{ID: "in_b", CustomerID: "cus_1", Amount: 100, Currency: "usd", Category: recoup.CategoryIssuerSoft, FirstFailedAt: base.Add(240 * time.Hour),
				Ended: recoup.PastUnpaid, EndedAt: base.Add(300 * time.Hour)},
			{ID: "in_open", CustomerID: "cus_1", Amount: 100, Currency: "usd", Category: recoup.CategoryFunds, FirstFailedAt: base.Add(400 * time.Hour)},
			{ID: "in_late", CustomerID: "cus_1", Amount: 100, Currency: "usd", Category: recoup.CategoryFunds, FirstFailedAt: base.Add(500 * time.Hour),
				Ended: recoup.PastPaidByCustomer, EndedAt: base.Add(600 * time.Hour)},
			{ID: "in_x", CustomerID: "cus_2", Amount: 100, Currency: "usd", Category: recoup.CategoryFunds, FirstFailedAt: base,
				Ended: recoup.PastUnpaid, EndedAt: base.Add(time.Hour)},
		}
		mustTx(t, s, func(tx recoup.Tx) error {
			for _, inv := range invs {
				if err := tx.SaveHistoryInvoice(inv); err != nil {
					return err
				}
			}
			// Saved again, it ends otherwise: the latest word stands.
			inv := invs[1]
			inv.Ended = recoup.PastPaidByCustomer
			return tx.SaveHistoryInvoice(inv)
		})
		var got, one []recoup.PastInvoice
		mustTx(t, s, func(tx recoup.Tx) (err error) {
			if got, err = tx.PastInvoices("cus_1", base.Add(500*time.Hour), 10); err != nil {
				return err
			}
			one, err = tx.PastInvoices("cus_1", base.Add(500*time.Hour), 1)
			return err
		})
		want := []recoup.PastInvoice{invs[1], invs[0]}
		want[0].Ended = recoup.PastPaidByCustomer
		for i := range want {
			want[i].FirstFailedAt, want[i].EndedAt = stored(want[i].FirstFailedAt), stored(want[i].EndedAt)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("past invoices (-want +got):\n%s", d)
		}
		if len(one) != 1 || one[0].ID != "in_b" {
			t.Errorf("one past invoice: %+v, want in_b", one)
		}
		err := s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.SaveHistoryInvoice(recoup.PastInvoice{ID: "in_z"}) })
		if recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("a past invoice without its first failure: %v, want invalid", err)
		}
	})

	t.Run("the latest import's checkpoint", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		err := s.Tx(t.Context(), func(tx recoup.Tx) error { _, err := tx.HistoryImport(); return err })
		if !recoup.IsNotFound(err) {
			t.Fatalf("checkpoint before any import: %v, want not found", err)
		}
		first := recoup.HistoryImport{Since: base.Add(-365 * 24 * time.Hour), Phase: recoup.ImportDone, Charges: 3, Invoices: 1,
			Observations: 2, StartedAt: base, UpdatedAt: base.Add(time.Minute), FinishedAt: base.Add(time.Minute)}
		h := recoup.HistoryImport{Since: base.Add(-30 * 24 * time.Hour), Phase: recoup.ImportCharges, StartedAt: base.Add(time.Hour), UpdatedAt: base.Add(time.Hour)}
		mustTx(t, s, func(tx recoup.Tx) error {
			if err := tx.SaveHistoryImport(&first); err != nil {
				return err
			}
			return tx.SaveHistoryImport(&h)
		})
		if h.ID == 0 || h.ID == first.ID {
			t.Fatalf("import IDs %d and %d, want two", first.ID, h.ID)
		}
		h.Phase, h.ChargesAfter, h.InvoicesAfter, h.Charges, h.UpdatedAt = recoup.ImportInvoices, "ch_9", "in_4", 250, base.Add(2*time.Hour)
		var got recoup.HistoryImport
		mustTx(t, s, func(tx recoup.Tx) (err error) {
			if err := tx.SaveHistoryImport(&h); err != nil {
				return err
			}
			got, err = tx.HistoryImport()
			return err
		})
		want := h
		want.Since, want.StartedAt, want.UpdatedAt = stored(h.Since), stored(h.StartedAt), stored(h.UpdatedAt)
		if d := diff(want, got); d != "" {
			t.Errorf("checkpoint (-want +got):\n%s", d)
		}
		missing := recoup.HistoryImport{ID: h.ID + 100, Since: base, Phase: recoup.ImportCharges, StartedAt: base, UpdatedAt: base}
		err = s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.SaveHistoryImport(&missing) })
		if !recoup.IsNotFound(err) {
			t.Errorf("saving an unknown import: %v, want not found", err)
		}
	})

	t.Run("an observation keeps its source", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		obs := []recoup.Observation{
			{Model: "m", Kind: recoup.ObserveOutcome, Features: []string{"bias"}, At: base},
			{Model: "m", Kind: recoup.ObserveOutcome, Features: []string{"bias"}, At: base, Source: recoup.ObservedStripe},
			{Model: "m", Kind: recoup.ObserveOutcome, Features: []string{"bias"}, At: base, Success: true, Source: recoup.ObservedHistory},
		}
		mustTx(t, s, func(tx recoup.Tx) error {
			for i := range obs {
				if err := tx.AddObservation(&obs[i]); err != nil {
					return err
				}
			}
			return nil
		})
		var got []recoup.Observation
		mustTx(t, s, func(tx recoup.Tx) (err error) { got, err = tx.Observations("m", 0, 10); return err })
		for i, want := range []string{recoup.ObservedRecoup, recoup.ObservedStripe, recoup.ObservedHistory} {
			if i >= len(got) || got[i].Source != want {
				t.Errorf("observation %d: %+v, want source %s", i, got, want)
			}
		}
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			return tx.AddObservation(&recoup.Observation{Model: "m", Kind: recoup.ObserveOutcome, Source: "guess"})
		})
		if recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("an observation of an unknown source: %v, want invalid", err)
		}
	})
}
