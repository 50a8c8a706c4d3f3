package worlds

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// A returning customer short of funds fails again at a later monthly renewal: the same
// customer, card, price and pay pattern, one invoice open at a time, and only when the
// customer's money is not there; the renewals are the same whatever happens to the invoices.
func TestReturningCustomersFailAgain(t *testing.T) {
	run := func() map[string]*invoice {
		cfg := year
		cfg.Invoices, cfg.Seed = 600, 5
		env := newFakeEnv(t, cfg)
		w := NewRealisticWith(ReturningParams())
		if err := w.Start(env); err != nil {
			t.Fatal(err)
		}
		all := map[string]*invoice{}
		env.run(func() {
			for id, inv := range w.active {
				all[id] = inv
			}
		})
		return all
	}
	all := run()
	byCustomer := map[string][]*invoice{}
	renewals := 0
	for _, inv := range all {
		byCustomer[inv.customer] = append(byCustomer[inv.customer], inv)
		if inv.renewal > 0 {
			renewals++
		}
	}
	if renewals < 20 {
		t.Fatalf("%d renewals among %d invoices, want a good number", renewals, len(all))
	}
	for cus, invs := range byCustomer {
		slices.SortFunc(invs, func(a, b *invoice) int { return a.t0.Compare(b.t0) })
		root := invs[0]
		if root.renewal != 0 || root.id != "in_"+strings.TrimPrefix(cus, "cus_") {
			t.Fatalf("%s: first invoice %s is a renewal (%d)", cus, root.id, root.renewal)
		}
		for i, inv := range invs[1:] {
			prev := invs[i]
			switch {
			case inv.cat != recoup.CategoryFunds || inv.base != funds || root.cat != recoup.CategoryFunds:
				t.Errorf("%s: renewal %s of a %s customer is %s, want funds", cus, inv.id, root.cat, inv.cat)
			case inv.country != root.country || inv.loc != root.loc || inv.amount != root.amount ||
				!reflect.DeepEqual(inv.pay, root.pay) || inv.q != root.q || inv.fundedFor != root.fundedFor:
				t.Errorf("%s: renewal %s is not the same customer, price and pay pattern", cus, inv.id)
			case inv.cards[0].pm != root.cards[0].pm || inv.cards[0].brand != root.cards[0].brand || inv.cards[0].funding != root.cards[0].funding:
				t.Errorf("%s: renewal %s charges another card", cus, inv.id)
			case !inv.t0.Equal(addMonths(root.t0, inv.renewal)):
				t.Errorf("%s: renewal %s at %s, want %d months after %s", cus, inv.id, inv.t0, inv.renewal, root.t0)
			case inv.t0.Before(prev.end):
				t.Errorf("%s: renewal %s at %s while %s is open until %s", cus, inv.id, inv.t0, prev.id, prev.end)
			case prev.funded(inv.t0):
				t.Errorf("%s: renewal %s failed at %s although the money was there", cus, inv.id, inv.t0)
			case inv.piID() == prev.piID():
				t.Errorf("%s: renewal %s shares payment ids with %s", cus, inv.id, prev.id)
			}
		}
	}
	// The same run again meets the same renewals.
	again := run()
	if len(again) != len(all) {
		t.Fatalf("a second run has %d invoices, want %d", len(again), len(all))
	}
	for id, inv := range all {
		if a := again[id]; a == nil || !a.t0.Equal(inv.t0) || a.key != inv.key {
			t.Errorf("invoice %s differs between runs", id)
		}
	}
}

func TestAddMonths(t *testing.T) {
	jan31 := time.Date(2026, 1, 31, 9, 30, 0, 0, time.UTC)
	for k, want := range map[int]string{1: "2026-02-28", 2: "2026-03-31", 3: "2026-04-30", 13: "2027-02-28", 25: "2028-02-29"} {
		if got := addMonths(jan31, k).Format(time.DateOnly); got != want {
			t.Errorf("31 January + %d months = %s, want %s", k, got, want)
		}
	}
	if got := addMonths(time.Date(2026, 3, 15, 9, 30, 0, 0, time.UTC), 1); !got.Equal(time.Date(2026, 4, 15, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("15 March + 1 month = %s", got)
	}
}
