package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func testHistory(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("timeline keeps append order and detail", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_tl", "cus_1"))
		other := createCase(t, s, minimalCase("in_tl2", "cus_1"))
		entries := []recoup.TimelineEntry{
			// Out of time order on purpose: the timeline is in append order.
			{CaseID: c.ID, At: base.Add(time.Hour), Kind: recoup.EntryEvent, Summary: "Payment failed."},
			{CaseID: c.ID, At: base, Kind: recoup.EntryDecision, Summary: "Retry on payday.",
				Detail: json.RawMessage(`{"kind":"retry","inputs":{"category":"funds","b":"é\u00e9"},"n":[1,2.5]}`)},
			{CaseID: other.ID, At: base, Kind: recoup.EntryState, Summary: "Another case."},
			{CaseID: c.ID, Kind: recoup.EntryState, Summary: "", Detail: json.RawMessage(`"scheduled"`)},
		}
		mustTx(t, s, func(tx recoup.Tx) error {
			for i := range entries {
				if err := tx.AppendTimeline(&entries[i]); err != nil {
					return err
				}
			}
			return nil
		})
		// The IDs are set by the commit at the latest, and increase in append order.
		for i, e := range entries {
			if e.ID == 0 || (i > 0 && e.ID <= entries[i-1].ID) {
				t.Errorf("entry %d has ID %d after the commit, want one above the previous entry's", i, e.ID)
			}
		}
		var want []recoup.TimelineEntry
		for _, e := range entries {
			if e.CaseID == c.ID {
				e.At = stored(e.At)
				want = append(want, e)
			}
		}
		got, err := s.Timeline(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "timeline", want, got)
	})

	t.Run("many entries of one transaction keep their order, IDs and fields", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		a := createCase(t, s, minimalCase("in_tl_many", "cus_1"))
		var entries []recoup.TimelineEntry
		mustTx(t, s, func(tx recoup.Tx) error {
			b := minimalCase("in_tl_many2", "cus_1") // created in the transaction
			if err := tx.CreateCase(&b); err != nil {
				return err
			}
			// More entries than a store may write in one statement, interleaved between two cases.
			entries = make([]recoup.TimelineEntry, 150)
			for i := range entries {
				caseID := a.ID
				if i%3 == 0 {
					caseID = b.ID
				}
				entries[i] = recoup.TimelineEntry{CaseID: caseID, At: base.Add(time.Duration(i) * time.Second),
					Kind: recoup.EntryEvent, Summary: fmt.Sprintf("entry %d", i)}
				if i%2 == 0 {
					entries[i].Detail = json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))
				}
				if err := tx.AppendTimeline(&entries[i]); err != nil {
					return err
				}
				// Changing the entry after it was appended changes nothing stored.
				entries[i].Summary += " (changed)"
			}
			return nil
		})
		want := map[int64][]recoup.TimelineEntry{}
		for i, e := range entries {
			if e.ID == 0 || (i > 0 && e.ID <= entries[i-1].ID) {
				t.Fatalf("entry %d has ID %d after the commit, want one above the previous entry's", i, e.ID)
			}
			e.At, e.Summary = stored(e.At), fmt.Sprintf("entry %d", i)
			want[e.CaseID] = append(want[e.CaseID], e)
		}
		for caseID, w := range want {
			got, err := s.Timeline(t.Context(), caseID)
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, fmt.Sprintf("timeline of case %d", caseID), w, got)
		}
	})

	t.Run("timeline of a case without entries is empty", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_empty", "cus_1"))
		got, err := s.Timeline(t.Context(), c.ID)
		if err != nil || len(got) != 0 {
			t.Fatalf("Timeline: %v, %v; want no entries and no error", got, err)
		}
	})

	t.Run("timeline of a missing case is not found", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		_, err := s.Timeline(t.Context(), 424242)
		wantCode(t, err, recoup.ENOTFOUND)
		err = s.Tx(t.Context(), func(tx recoup.Tx) error {
			return tx.AppendTimeline(&recoup.TimelineEntry{CaseID: 424242, Kind: recoup.EntryEvent, Summary: "x"})
		})
		wantCode(t, err, recoup.ENOTFOUND)
	})

	t.Run("timeline detail must be JSON", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_badjson", "cus_1"))
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			return tx.AppendTimeline(&recoup.TimelineEntry{CaseID: c.ID, Kind: recoup.EntryEvent, Detail: json.RawMessage(`{"a":`)})
		})
		wantCode(t, err, recoup.EINVALID)
	})

	t.Run("attempts round-trip in the order recorded and update", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_att", "cus_1"))
		attempts := []recoup.Attempt{
			{CaseID: c.ID, N: 1, Source: recoup.SourceStripe, Status: recoup.AttemptDeclined,
				Decline:   &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds"},
				StartedAt: base, FinishedAt: base},
			{CaseID: c.ID, N: 1, Source: recoup.SourceRecoup, IdempotencyKey: c.IdempotencyKey(1),
				PaymentMethodID: "pm_1", Card: recoup.CardRefreshed, Status: recoup.AttemptPending, StartedAt: base.Add(time.Hour)},
			{CaseID: c.ID, N: 2, Source: recoup.SourceStripe, Status: recoup.AttemptError, StartedAt: base.Add(time.Minute)},
		}
		mustTx(t, s, func(tx recoup.Tx) error {
			for i := range attempts {
				if err := tx.InsertAttempt(&attempts[i]); err != nil {
					return err
				}
				if attempts[i].ID == 0 {
					t.Errorf("InsertAttempt did not set the ID of attempt %d", i)
				}
			}
			return nil
		})

		// The pending attempt finishes: status, card source (Stripe may report another card),
		// decline and finish time change, nothing else.
		done := attempts[1]
		done.Status, done.FinishedAt, done.Card = recoup.AttemptDeclined, base.Add(time.Hour+time.Second), recoup.CardCustomer
		done.Decline = &recoup.Decline{Code: "card_declined", DeclineCode: "generic_decline", OutcomeType: "blocked",
			OutcomeReason: "previously_declined_do_not_retry", NetworkStatus: "not_sent_to_network", Category: recoup.CategoryHard}
		mustTx(t, s, func(tx recoup.Tx) error { return tx.UpdateAttempt(&done) })
		attempts[1] = done

		var want []recoup.Attempt
		for _, a := range attempts {
			a.StartedAt, a.FinishedAt = stored(a.StartedAt), stored(a.FinishedAt)
			want = append(want, a)
		}
		got, err := s.Attempts(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "Store.Attempts", want, got)
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := tx.Attempts(c.ID)
			if err != nil {
				return err
			}
			wantEqual(t, "Tx.Attempts", want, got)
			return nil
		})
	})

	t.Run("a second attempt with the same case, source and number conflicts", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_attdup", "cus_1"))
		a := recoup.Attempt{CaseID: c.ID, N: 1, Source: recoup.SourceRecoup, Status: recoup.AttemptPending, StartedAt: base}
		mustTx(t, s, func(tx recoup.Tx) error { return tx.InsertAttempt(&a) })
		mustTx(t, s, func(tx recoup.Tx) error {
			dup := a
			dup.ID, dup.Status = 0, recoup.AttemptSucceeded
			wantCode(t, tx.InsertAttempt(&dup), recoup.ECONFLICT)
			// The transaction goes on: a conflict is an answer, not a broken transaction.
			other := a
			other.ID, other.Source = 0, recoup.SourceStripe
			return tx.InsertAttempt(&other)
		})
		got, err := s.Attempts(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Status != recoup.AttemptPending || got[1].Source != recoup.SourceStripe {
			t.Fatalf("attempts: %+v, want the first and the Stripe one", got)
		}
	})

	t.Run("a case read or created in the transaction lists no attempts or messages", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_readnone", "cus_1"))
		mustTx(t, s, func(tx recoup.Tx) error {
			created := minimalCase("in_creatednone", "cus_1")
			if err := tx.CreateCase(&created); err != nil {
				return err
			}
			read, err := tx.Case(c.ID)
			if err != nil {
				return err
			}
			for _, id := range []int64{read.ID, created.ID} {
				as, err := tx.Attempts(id)
				if err != nil || len(as) != 0 {
					t.Errorf("Attempts of case %d: %v, %v; want none and no error", id, as, err)
				}
				ms, err := tx.Messages(id)
				if err != nil || len(ms) != 0 {
					t.Errorf("Messages of case %d: %v, %v; want none and no error", id, ms, err)
				}
			}
			return nil
		})
	})

	t.Run("attempts of a missing case or attempt are not found", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_noatt", "cus_1"))
		got, err := s.Attempts(t.Context(), c.ID)
		if err != nil || len(got) != 0 {
			t.Fatalf("Attempts of a case without attempts: %v, %v; want none and no error", got, err)
		}
		_, err = s.Attempts(t.Context(), 424242)
		wantCode(t, err, recoup.ENOTFOUND)
		err = s.Tx(t.Context(), func(tx recoup.Tx) error {
			return tx.InsertAttempt(&recoup.Attempt{CaseID: 424242, N: 1, Source: recoup.SourceRecoup, Status: recoup.AttemptPending})
		})
		wantCode(t, err, recoup.ENOTFOUND)
		err = s.Tx(t.Context(), func(tx recoup.Tx) error {
			return tx.UpdateAttempt(&recoup.Attempt{ID: 424242, Status: recoup.AttemptSucceeded})
		})
		wantCode(t, err, recoup.ENOTFOUND)
	})
}
