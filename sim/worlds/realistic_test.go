package worlds

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

func TestRegistered(t *testing.T) {
	w, err := sim.NewWorld("realistic")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(*Realistic); !ok {
		t.Fatalf("realistic is a %T", w)
	}
}

// The same seed gives the same events, failures, outcomes and violations; another seed does not.
func TestDeterministic(t *testing.T) {
	fingerprint := func(r result) string {
		var b strings.Builder
		for _, e := range r.env.events {
			fmt.Fprintf(&b, "%s %s %s %s %v %s %s\n", e.ID, e.Type, e.ObjectID, e.CustomerID, e.Changed, e.Created, e.Payload)
		}
		for _, f := range r.env.failures {
			fmt.Fprintf(&b, "%+v\n", f)
		}
		for _, id := range r.env.order {
			fmt.Fprintf(&b, "%+v\n", r.env.outcomes[id])
		}
		for _, v := range r.env.viol {
			fmt.Fprintf(&b, "%+v\n", v)
		}
		return b.String()
	}
	a := fingerprint(simulate(t, 1000, 7, fixedWithEmails))
	if b := fingerprint(simulate(t, 1000, 7, fixedWithEmails)); a != b {
		t.Fatal("two runs with the same seed differ")
	}
	if c := fingerprint(simulate(t, 1000, 8, fixedWithEmails)); a == c {
		t.Fatal("two seeds gave the same run")
	}
}

// Invoice i's hidden state, and so its failure and its oracle, are the same whatever the
// policy does: policies are compared on the identical world.
func TestHiddenStateIndependentOfPolicy(t *testing.T) {
	of := func(r result) map[string]string {
		m := map[string]string{}
		for _, f := range r.env.failures {
			o := r.env.outcomes[f.InvoiceID].Oracle
			m[f.InvoiceID] = fmt.Sprintf("%d %s %d %v %v %d", f.Amount.Amount, f.Category, f.At.Unix(), o.Recoverable, o.ByRetry, o.At.Unix())
		}
		return m
	}
	base := of(simulate(t, 2000, 3, policy{name: "nothing"}))
	for _, p := range []policy{fixedWithEmails, dailyEmails, aggressive} {
		if got := of(simulate(t, 2000, 3, p)); !reflect.DeepEqual(base, got) {
			t.Errorf("%s: failures or oracles differ from a run without any policy", p.name)
		}
	}
}

// Every failure is resolved exactly once (fakeEnv fails on a second resolution), with the
// invoice's amount when recovered.
func TestResolvedExactlyOnce(t *testing.T) {
	for _, p := range []policy{fixedWithEmails, dailyEmails, sixHourly} {
		r := simulate(t, 2000, 11, p)
		if len(r.env.failures) != 2000 || len(r.env.outcomes) != 2000 {
			t.Fatalf("%s: %d failures, %d outcomes, want 2000 each", p.name, len(r.env.failures), len(r.env.outcomes))
		}
		for _, f := range r.env.failures {
			o := r.env.outcomes[f.InvoiceID]
			if o.Result == sim.Recovered && (o.Amount != f.Amount.Amount || o.By == "") {
				t.Errorf("%s: %s recovered %d by %q, want %d", p.name, f.InvoiceID, o.Amount, o.By, f.Amount.Amount)
			}
			if o.At.Before(f.At) || o.At.After(f.At.Add(year.Window)) {
				t.Errorf("%s: %s resolved at %s, outside its window from %s", p.name, f.InvoiceID, o.At, f.At)
			}
		}
	}
}

// Hard declines never pass on the card that failed, nor do customer fixes (until the updater
// refreshes it) or authentication, whatever the charges.
func TestNeverOnTheFailedCard(t *testing.T) {
	for _, p := range []policy{sixHourly, daily, aggressive} {
		r := simulate(t, 3000, 13, p)
		for _, f := range r.env.failures {
			o := r.env.outcomes[f.InvoiceID]
			switch {
			case o.Result != sim.Recovered:
			case f.Category == recoup.CategoryHard && (o.By == sim.ByRetry || o.By == sim.ByCardUpdater),
				f.Category == recoup.CategoryCustomerFix && o.By == sim.ByRetry,
				f.Category == recoup.CategoryAuthentication && o.By != sim.ByCustomerPaid:
				t.Errorf("%s: %s (%s) recovered by %s", p.name, f.InvoiceID, f.Category, o.By)
			}
		}
	}
	w, invs := drawInvoices(t, 2000, 4)
	for _, inv := range invs {
		if inv.base != never {
			continue
		}
		c := inv.cards[0]
		for tt := inv.t0.Add(time.Minute); tt.Before(inv.end); tt = tt.Add(97 * time.Minute) {
			pass, d, by := inv.judge(c, tt, &w.p)
			c.charges = append(c.charges, tt)
			if pass && (!inv.refreshed(tt) || by != sim.ByCardUpdater) {
				t.Fatalf("%s (%s, %s): passed at %s by %s", inv.id, inv.cat, inv.first.Reason(), tt, by)
			}
			if !pass && !inv.refreshed(tt) && d.Reason() != inv.first.Reason() {
				t.Fatalf("%s: declined with %s after %s", inv.id, d.Reason(), inv.first.Reason())
			}
		}
	}
}

// An expired card passes only once the updater has refreshed it (when the refresh works).
func TestExpiredCardOnlyAfterUpdate(t *testing.T) {
	w, invs := drawInvoices(t, 3000, 5)
	refreshed := 0
	for _, inv := range invs {
		if inv.first.DeclineCode != "expired_card" {
			continue
		}
		for _, tt := range []time.Time{inv.t0.Add(time.Hour), inv.updaterAt.Add(-time.Second), inv.updaterAt, inv.end.Add(-time.Second)} {
			if tt.Before(inv.t0) {
				continue
			}
			pass, _, by := inv.judge(inv.fresh(), tt, &w.p)
			want := inv.refreshed(tt) && inv.refreshGood
			if pass != want || pass && by != sim.ByCardUpdater {
				t.Errorf("%s at %s: passed %v by %q, want %v (refresh at %s)", inv.id, tt, pass, by, want, inv.updaterAt)
			}
		}
		if !inv.updaterAt.IsZero() {
			refreshed++
		}
	}
	if refreshed == 0 {
		t.Fatal("no expired card was refreshed")
	}
}

// A technical failure declines with its own code until it clears, then the card behaves as its
// secondary behaviour says.
func TestTechnicalClears(t *testing.T) {
	w, invs := drawInvoices(t, 3000, 6)
	n := 0
	for _, inv := range invs {
		if inv.cat != recoup.CategoryTechnical {
			continue
		}
		n++
		pass, d, _ := inv.judge(inv.fresh(), inv.clearAt.Add(-time.Second), &w.p)
		if pass || d.Reason() != inv.first.Reason() {
			t.Errorf("%s: before clearing: passed %v, %s, want a decline %s", inv.id, pass, d.Reason(), inv.first.Reason())
		}
		if inv.base == good {
			if pass, _, by := inv.judge(inv.fresh(), inv.clearAt, &w.p); !pass || by != sim.ByRetry {
				t.Errorf("%s: a good card declined once cleared at %s", inv.id, inv.clearAt)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d technical failures", n)
	}
}

// Insufficient funds pass exactly inside funded windows: within fundedFor of a payday whose
// cycle is funded, never in the first failure's cycle.
func TestFundsOnlyInFundedWindows(t *testing.T) {
	w, invs := drawInvoices(t, 2000, 8)
	passes := 0
	for _, inv := range invs {
		if inv.base != funds {
			continue
		}
		if inv.funded(inv.t0) {
			t.Errorf("%s: funded at its first failure", inv.id)
		}
		for tt := inv.t0.Add(72 * time.Hour); tt.Before(inv.end); tt = tt.Add(time.Hour) {
			pass, _, _ := inv.judge(inv.fresh(), tt, &w.p) // no fatigue or fraud hazard after 72 h
			if pass != inv.funded(tt) {
				t.Fatalf("%s at %s: passed %v, funded %v", inv.id, tt, pass, inv.funded(tt))
			}
			if !pass {
				continue
			}
			passes++
			pay, ok := inv.pay.last(tt)
			if !ok || pay.Equal(inv.shortCycle) || tt.Sub(pay) >= inv.fundedFor || !inv.pay.sched.pays(civil(pay, inv.loc), inv.pay.phase) {
				t.Fatalf("%s at %s: passed outside a funded window (payday %s, funded for %s)", inv.id, tt, pay, inv.fundedFor)
			}
		}
	}
	if passes == 0 {
		t.Fatal("no funded window at all")
	}
}

func TestPay(t *testing.T) {
	w, env := startWorld(t, 400)
	inv := find(t, w, func(i *invoice) bool {
		return quiet(i) && i.cat == recoup.CategoryTechnical && i.base == good && i.clearAt.After(env.now.Add(time.Hour))
	})
	id := inv.id

	first := pay(t, w, env, id, inv.clearAt.Add(-time.Second), "k1")
	if first.Paid || first.Decline == nil || first.Invoice.AttemptCount != 2 {
		t.Fatalf("before clearing: %+v", first)
	}
	first.Decline.Category = "tampered" // the caller's copy is its own
	again := pay(t, w, env, id, inv.clearAt.Add(time.Second), "k1")
	first.Decline.Category = ""
	if !reflect.DeepEqual(first, again) {
		t.Fatalf("replayed key: got %+v, want the first result %+v", again, first)
	}
	paid := pay(t, w, env, id, env.now.Add(time.Second), "k2")
	if !paid.Paid || paid.Invoice.Status != recoup.InvoicePaid || paid.Invoice.AmountRemaining != 0 || paid.Invoice.AttemptCount != 3 {
		t.Fatalf("after clearing: %+v", paid)
	}
	if o := env.outcomes[id]; o.Result != sim.Recovered || o.By != sim.ByRetry || o.Amount != inv.amount {
		t.Fatalf("outcome %+v", o)
	}
	if replay := pay(t, w, env, id, env.now.Add(time.Second), "k2"); !reflect.DeepEqual(replay, paid) {
		t.Fatalf("replay after payment: %+v", replay)
	}
	if _, err := w.Pay(ctx, recoup.PayRequest{InvoiceID: id, IdempotencyKey: "k3"}); recoup.ErrorCode(err) != recoup.EINVALID || !strings.Contains(err.Error(), "already paid") {
		t.Fatalf("paying a paid invoice: %v", err)
	}
	if got := lastEvent(env, id); got != "invoice.paid" {
		t.Fatalf("last event %s, want invoice.paid", got)
	}
	if _, err := w.Pay(ctx, recoup.PayRequest{InvoiceID: "in_999999"}); recoup.ErrorCode(err) != recoup.ENOTFOUND {
		t.Fatalf("unknown invoice: %v", err)
	}
	other := find(t, w, func(i *invoice) bool { return i.id != id })
	if _, err := w.Pay(ctx, recoup.PayRequest{InvoiceID: other.id, PaymentMethodID: "pm_1_2"}); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Fatalf("someone else's card: %v", err)
	}

	env.runUntil(env.now.Add(w.p.Tombstone - time.Minute))
	if v, err := w.Invoice(ctx, id); err != nil || v.Status != recoup.InvoicePaid {
		t.Fatalf("tombstone: %+v, %v", v, err)
	}
	env.runUntil(env.now.Add(2 * time.Minute))
	if _, err := w.Invoice(ctx, id); recoup.ErrorCode(err) != recoup.ENOTFOUND {
		t.Fatalf("after the tombstone: %v", err)
	}
}

func TestMerchantEnds(t *testing.T) {
	w, env := startWorld(t, 400)
	a := find(t, w, func(i *invoice) bool { return true })
	env.do(env.now, func() {
		if err := w.CancelSubscription(ctx, a.sub, "x"); err != nil {
			t.Fatal(err)
		}
	})
	if o := env.outcomes[a.id]; o.Result != sim.Lost || o.LostToMessaging {
		t.Fatalf("cancel: %+v", o)
	}
	if got := lastEvent(env, a.id); got != "customer.subscription.deleted" {
		t.Fatalf("last event %s", got)
	}
	b := find(t, w, func(i *invoice) bool { return true })
	env.do(env.now, func() {
		if err := w.MarkUncollectible(ctx, b.id, "x"); err != nil {
			t.Fatal(err)
		}
		if err := w.MarkUncollectible(ctx, b.id, "x"); err != nil {
			t.Fatalf("again: %v", err)
		}
	})
	if o := env.outcomes[b.id]; o.Result != sim.Unrecovered {
		t.Fatalf("uncollectible: %+v", o)
	}
	if v, _ := w.Invoice(ctx, b.id); v.Status != recoup.InvoiceUncollectible {
		t.Fatalf("status %s", v.Status)
	}
	c := find(t, w, quiet)
	env.runUntil(c.end)
	if o := env.outcomes[c.id]; o.Result != sim.Unrecovered || !o.At.Equal(c.end) {
		t.Fatalf("window end: %+v", o)
	}
	if v, _ := w.Invoice(ctx, c.id); v.Status != recoup.InvoiceVoid {
		t.Fatalf("status %s after the window", v.Status)
	}
}

// Memory is bounded by the active invoices: the active set stays far below the total and
// empties, and tombstones are forgotten.
func TestMemory(t *testing.T) {
	r := simulate(t, 4000, 29, fixedWithEmails)
	if r.peak > 4000/5 {
		t.Errorf("peak of %d active invoices out of 4000 spread over a year", r.peak)
	}
	if len(r.w.active) != 0 || len(r.w.tombs) != 0 {
		t.Errorf("%d active and %d tombstones left", len(r.w.active), len(r.w.tombs))
	}
}

// Worlds played one after another on one store (a resumed demo) are kept apart by their id
// prefix: every id a world given one makes carries it, a returning customer's renewals too.
func TestIDPrefix(t *testing.T) {
	cfg := year
	cfg.Invoices, cfg.Seed, cfg.IDPrefix = 300, 3, "s2_"
	env := newFakeEnv(t, cfg)
	w := NewRealisticWith(ReturningParams())
	d := &driver{w: w, env: env, pol: fixedWithEmails, seen: map[string]bool{}, blocked: map[string]bool{}}
	env.onEvent = d.event
	if err := w.Start(env); err != nil {
		t.Fatal(err)
	}
	env.run(func() {})
	for _, e := range env.events {
		if !strings.HasPrefix(e.ID, "evt_s2_") || !strings.Contains(e.ObjectID, "_s2_") || e.CustomerID != "" && !strings.HasPrefix(e.CustomerID, "cus_s2_") {
			t.Fatalf("event %s (%s) on %s of %s: an id without the prefix", e.ID, e.Type, e.ObjectID, e.CustomerID)
		}
	}
	renewals := 0
	for _, f := range env.failures {
		if !strings.HasPrefix(f.InvoiceID, "in_s2_") {
			t.Fatalf("invoice %s without the prefix", f.InvoiceID)
		}
		if strings.Contains(f.InvoiceID, "_r") {
			renewals++
		}
	}
	if len(env.events) == 0 || renewals == 0 {
		t.Fatalf("%d events, %d renewals: the test sees too little", len(env.events), renewals)
	}
}
