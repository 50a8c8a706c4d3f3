package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func testCase(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("every field round-trips", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := fullCase("in_full")
		got := createCase(t, s, c)
		if got.ID == 0 || got.Version != 1 {
			t.Fatalf("CreateCase set ID %d, Version %d; want an ID and Version 1", got.ID, got.Version)
		}
		want := storedCase(c)
		want.ID, want.Version = got.ID, 1
		wantEqual(t, "Store.Case", want, readCase(t, s, got.ID))
		mustTx(t, s, func(tx recoup.Tx) error {
			c, err := tx.Case(got.ID)
			if err != nil {
				return err
			}
			wantEqual(t, "Tx.Case", want, c)
			c, err = tx.CaseByInvoice("in_full")
			if err != nil {
				return err
			}
			wantEqual(t, "Tx.CaseByInvoice", want, c)
			return nil
		})
	})

	t.Run("zero values round-trip", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := recoup.Case{InvoiceID: "in_zero", State: recoup.StateOpen}
		got := createCase(t, s, c)
		want := c
		want.ID, want.Version = got.ID, 1
		wantEqual(t, "case", want, readCase(t, s, got.ID))
	})

	t.Run("zero-decimal money and an empty decline round-trip", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := minimalCase("in_jpy", "cus_1")
		c.Amount = recoup.Money{Amount: 1_000_000_000_000, Currency: "jpy"}
		c.LastDecline = &recoup.Decline{}
		c.NextAction = &recoup.Action{Kind: recoup.ActionFinal} // Seq 0, no time: still an action
		got := createCase(t, s, c)
		want := storedCase(c)
		want.ID, want.Version = got.ID, 1
		wantEqual(t, "case", want, readCase(t, s, got.ID))
	})

	t.Run("a customer's cases are counted in every state", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		createCase(t, s, minimalCase("in_c1", "cus_count"))
		done := minimalCase("in_c2", "cus_count")
		done.State = recoup.StateRecovered
		createCase(t, s, done)
		createCase(t, s, minimalCase("in_c3", "cus_other"))
		mustTx(t, s, func(tx recoup.Tx) error {
			for cus, want := range map[string]int{"cus_count": 2, "cus_other": 1, "cus_none": 0} {
				n, err := tx.CountCustomerCases(cus)
				if err != nil {
					return err
				}
				if n != want {
					t.Errorf("CountCustomerCases(%s) = %d, want %d", cus, n, want)
				}
			}
			return nil
		})
	})

	t.Run("a customer's past cases are those resolved before, the latest first", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		before := base.Add(10 * 24 * time.Hour)
		past := func(cus string, limit int) []recoup.Case {
			t.Helper()
			var got []recoup.Case
			mustTx(t, s, func(tx recoup.Tx) (err error) {
				got, err = tx.PastCases(cus, before, limit)
				return err
			})
			return got
		}
		if got := past("cus_past", 10); len(got) != 0 {
			t.Fatalf("past cases before any case: %v", got)
		}
		resolved := func(c recoup.Case, state recoup.CaseState, days int) recoup.Case {
			c.State, c.ResolvedAt = state, base.Add(time.Duration(days)*24*time.Hour)
			if state == recoup.StateRecovered {
				c.RecoveredBy = recoup.ByRecoupRetry
			}
			return c
		}
		newer := createCase(t, s, resolved(minimalCase("in_p2", "cus_past"), recoup.StateRecovered, 5))
		latest := createCase(t, s, resolved(minimalCase("in_p3", "cus_past"), recoup.StateClosed, 9))
		createCase(t, s, resolved(minimalCase("in_p4", "cus_past"), recoup.StateRecovered, 20)) // after the time asked
		createCase(t, s, minimalCase("in_p5", "cus_past"))                                      // open: not resolved
		createCase(t, s, resolved(minimalCase("in_p6", "cus_else"), recoup.StateRecovered, 2))  // another customer's
		// A case that is resolved later, by an update.
		older := createCase(t, s, minimalCase("in_p1", "cus_later"))
		if got := past("cus_later", 10); len(got) != 0 {
			t.Fatalf("past cases of a customer whose case is open: %v", got)
		}
		older = resolved(older, recoup.StateExhausted, 1)
		mustTx(t, s, func(tx recoup.Tx) error { return tx.UpdateCase(&older) })

		wantEqual(t, "past cases", []recoup.Case{storedCase(latest), storedCase(newer)}, past("cus_past", 10))
		wantEqual(t, "past cases after an update", []recoup.Case{storedCase(older)}, past("cus_later", 10))
		if got := past("cus_past", 1); len(got) != 1 || got[0].ID != latest.ID {
			t.Errorf("past cases, at most 1: %v; want the latest", caseIDs(got))
		}
		if got := past("cus_none", 10); len(got) != 0 {
			t.Errorf("past cases of a customer without cases: %v", got)
		}
	})

	t.Run("a missing case is not found", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		_, err := s.Case(t.Context(), 424242)
		wantCode(t, err, recoup.ENOTFOUND)
		mustTx(t, s, func(tx recoup.Tx) error {
			_, err := tx.Case(424242)
			wantCode(t, err, recoup.ENOTFOUND)
			_, err = tx.CaseByInvoice("in_missing")
			wantCode(t, err, recoup.ENOTFOUND)
			return nil
		})
	})

	t.Run("a second case of the same invoice conflicts", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		first := createCase(t, s, minimalCase("in_dup", "cus_1"))
		mustTx(t, s, func(tx recoup.Tx) error {
			c := minimalCase("in_dup", "cus_2")
			wantCode(t, tx.CreateCase(&c), recoup.ECONFLICT)
			// The transaction goes on: a conflict is an answer, not a broken transaction.
			got, err := tx.CaseByInvoice("in_dup")
			if err != nil {
				return err
			}
			if got.ID != first.ID || got.CustomerID != "cus_1" {
				t.Errorf("the invoice's case is %+v, want the first", got)
			}
			return tx.SetCursor("after_conflict", "ok")
		})
		wantCursor(t, s, "after_conflict", "ok")
	})

	t.Run("an invalid case is refused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		for name, c := range map[string]recoup.Case{
			"no invoice":              {State: recoup.StateOpen},
			"unknown state":           {InvoiceID: "in_bad", State: "limbo"},
			"an ID already":           {ID: 7, InvoiceID: "in_bad", State: recoup.StateOpen},
			"an arm of no experiment": {InvoiceID: "in_bad", State: recoup.StateOpen, Arm: "recoup"},
		} {
			err := s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.CreateCase(&c) })
			if recoup.ErrorCode(err) != recoup.EINVALID {
				t.Errorf("%s: want EINVALID, got %v", name, err)
			}
		}
	})

	t.Run("update saves every field and increments the version", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_upd", "cus_1"))
		full := fullCase("in_upd2")
		full.ID, full.Version = c.ID, c.Version
		mustTx(t, s, func(tx recoup.Tx) error { return tx.UpdateCase(&full) })
		if full.Version != 2 {
			t.Fatalf("UpdateCase left Version %d, want 2", full.Version)
		}
		wantEqual(t, "updated case", storedCase(full), readCase(t, s, c.ID))

		// And back: clearing the pointers and times clears the columns.
		cleared := minimalCase("in_upd", "cus_1")
		cleared.ID, cleared.Version = c.ID, full.Version
		mustTx(t, s, func(tx recoup.Tx) error { return tx.UpdateCase(&cleared) })
		wantEqual(t, "cleared case", storedCase(cleared), readCase(t, s, c.ID))
		if cleared.Version != 3 {
			t.Fatalf("UpdateCase left Version %d, want 3", cleared.Version)
		}
	})

	t.Run("update with a stale version conflicts", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_stale", "cus_1"))
		fresh := c
		fresh.Attempts = 1
		mustTx(t, s, func(tx recoup.Tx) error { return tx.UpdateCase(&fresh) })

		stale := c
		stale.Attempts = 5
		err := s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.UpdateCase(&stale) })
		wantCode(t, err, recoup.ECONFLICT)
		if stale.Version != 1 {
			t.Errorf("a failed UpdateCase changed Version to %d", stale.Version)
		}
		if got := readCase(t, s, c.ID); got.Attempts != 1 || got.Version != 2 {
			t.Errorf("after a stale update: Attempts %d, Version %d; want 1, 2", got.Attempts, got.Version)
		}
	})

	t.Run("update of a missing case is not found", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := minimalCase("in_ghost", "cus_1")
		c.ID, c.Version = 424242, 1
		err := s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.UpdateCase(&c) })
		wantCode(t, err, recoup.ENOTFOUND)
	})

	t.Run("update to another case's invoice conflicts", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		createCase(t, s, minimalCase("in_a", "cus_1"))
		b := createCase(t, s, minimalCase("in_b", "cus_1"))
		b.InvoiceID = "in_a"
		err := s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.UpdateCase(&b) })
		wantCode(t, err, recoup.ECONFLICT)
	})

	t.Run("open cases of a customer, by subscription", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		var wantAll, wantSub []int64
		for _, st := range recoup.CaseStates {
			for _, sub := range []string{"sub_1", "sub_2"} {
				c := minimalCase("in_"+string(st)+"_"+sub, "cus_1")
				c.SubscriptionID, c.State = sub, st
				c = createCase(t, s, c)
				if !st.Terminal() {
					wantAll = append(wantAll, c.ID)
					if sub == "sub_1" {
						wantSub = append(wantSub, c.ID)
					}
				}
			}
		}
		other := minimalCase("in_other", "cus_2")
		other.SubscriptionID = "sub_1"
		createCase(t, s, other)

		mustTx(t, s, func(tx recoup.Tx) error {
			all, err := tx.OpenCases("cus_1", "")
			if err != nil {
				return err
			}
			wantEqual(t, "open cases of cus_1", wantAll, caseIDs(all))
			sub, err := tx.OpenCases("cus_1", "sub_1")
			if err != nil {
				return err
			}
			wantEqual(t, "open cases of cus_1, sub_1", wantSub, caseIDs(sub))
			for _, c := range sub {
				if c.State.Terminal() || c.CustomerID != "cus_1" || c.SubscriptionID != "sub_1" {
					t.Errorf("OpenCases returned %+v", c)
				}
			}
			none, err := tx.OpenCases("cus_none", "")
			if err != nil {
				return err
			}
			if len(none) != 0 {
				t.Errorf("OpenCases of a customer without cases: %v", caseIDs(none))
			}
			return nil
		})
	})
}

func caseIDs(cases []recoup.Case) []int64 {
	var ids []int64
	for _, c := range cases {
		ids = append(ids, c.ID)
	}
	return ids
}

func testCases(t *testing.T, newStore func(t *testing.T) Harness) {
	// seed creates n cases, alternating open and recovered, and returns their IDs, oldest
	// first.
	seed := func(t *testing.T, s recoup.Store, n int) []int64 {
		t.Helper()
		var ids []int64
		mustTx(t, s, func(tx recoup.Tx) error {
			for i := range n {
				c := minimalCase(fmt.Sprintf("in_%03d", i), "cus_1")
				if i%2 == 1 {
					c.State = recoup.StateRecovered
				}
				if err := tx.CreateCase(&c); err != nil {
					return err
				}
				ids = append(ids, c.ID)
			}
			return nil
		})
		return ids
	}
	reversed := func(ids []int64) []int64 {
		r := make([]int64, 0, len(ids))
		for i := len(ids) - 1; i >= 0; i-- {
			r = append(r, ids[i])
		}
		return r
	}

	t.Run("pages walk every case newest first", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		ids := seed(t, s, 7)
		var got []int64
		f := recoup.CaseFilter{Limit: 3}
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatal("more pages than cases")
			}
			page, err := s.Cases(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Cases) > 3 {
				t.Fatalf("page of %d cases with Limit 3", len(page.Cases))
			}
			got = append(got, caseIDs(page.Cases)...)
			if page.Next == 0 {
				break
			}
			if last := page.Cases[len(page.Cases)-1].ID; page.Next != last {
				t.Fatalf("Next %d, want the last ID of the page, %d", page.Next, last)
			}
			f.Before = page.Next
		}
		wantEqual(t, "case IDs", reversed(ids), got)
	})

	t.Run("an exactly full last page has no next", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		ids := seed(t, s, 4)
		page, err := s.Cases(t.Context(), recoup.CaseFilter{Limit: 4})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "case IDs", reversed(ids), caseIDs(page.Cases))
		if page.Next != 0 {
			t.Fatalf("Next %d at the end, want 0", page.Next)
		}
	})

	t.Run("state filter", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		ids := seed(t, s, 6)
		page, err := s.Cases(t.Context(), recoup.CaseFilter{State: recoup.StateRecovered, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "recovered case IDs", []int64{ids[5], ids[3]}, caseIDs(page.Cases))
		page, err = s.Cases(t.Context(), recoup.CaseFilter{State: recoup.StateRecovered, Before: page.Next})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "recovered case IDs, page 2", []int64{ids[1]}, caseIDs(page.Cases))
		if page.Next != 0 {
			t.Fatalf("Next %d at the end, want 0", page.Next)
		}
	})

	t.Run("customer filter", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		ids := seed(t, s, 3)
		var other recoup.Case
		mustTx(t, s, func(tx recoup.Tx) error {
			other = minimalCase("in_other", "cus_2")
			return tx.CreateCase(&other)
		})
		page, err := s.Cases(t.Context(), recoup.CaseFilter{CustomerID: "cus_2"})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "cases of cus_2", []int64{other.ID}, caseIDs(page.Cases))
		page, err = s.Cases(t.Context(), recoup.CaseFilter{CustomerID: "cus_1", State: recoup.StateRecovered})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "recovered cases of cus_1", []int64{ids[1]}, caseIDs(page.Cases))
	})

	t.Run("limit defaults to 50", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		seed(t, s, 51)
		page, err := s.Cases(t.Context(), recoup.CaseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Cases) != 50 || page.Next == 0 {
			t.Fatalf("got %d cases and Next %d, want 50 and a cursor", len(page.Cases), page.Next)
		}
	})

	t.Run("no cases is an empty page", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		page, err := s.Cases(t.Context(), recoup.CaseFilter{Limit: recoup.MaxCaseLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Cases) != 0 || page.Next != 0 {
			t.Fatalf("got %+v, want an empty page", page)
		}
	})

	t.Run("invalid filters are refused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		for name, f := range map[string]recoup.CaseFilter{
			"limit above the maximum": {Limit: recoup.MaxCaseLimit + 1},
			"negative limit":          {Limit: -1},
			"negative cursor":         {Before: -1},
			"unknown state":           {State: "limbo"},
		} {
			_, err := s.Cases(t.Context(), f)
			if recoup.ErrorCode(err) != recoup.EINVALID {
				t.Errorf("%s: want EINVALID, got %v", name, err)
			}
		}
	})

	t.Run("count by state", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		seed(t, s, 5)
		got, err := s.CountCases(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want := map[recoup.CaseState]int{}
		for _, st := range recoup.CaseStates {
			want[st] = 0
		}
		want[recoup.StateOpen], want[recoup.StateRecovered] = 3, 2
		wantEqual(t, "counts", want, got)
	})
}
