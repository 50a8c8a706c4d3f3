package worlds

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

// failedPayment is a failed payment of an invoice as Stripe reported it.
type failedPayment struct {
	at   time.Time
	pm   string
	last recoup.Decline
}

// stripeAlone runs the realistic world with Stripe's recovery on and nobody else acting, and
// records every failed payment (for the decline each Stripe retry followed) and every invoice.
func stripeAlone(t *testing.T, n int, seed uint64) (*Realistic, *fakeEnv, map[string][]failedPayment, map[string]*invoice) {
	t.Helper()
	cfg := year
	cfg.Invoices, cfg.Seed, cfg.StripeRecovery = n, seed, true
	env := newFakeEnv(t, cfg)
	w := NewRealistic()
	fails := map[string][]failedPayment{}
	invs := map[string]*invoice{}
	env.onEvent = func(ev recoup.Event) {
		inv := w.active[ev.ObjectID]
		if inv == nil {
			return
		}
		invs[inv.id] = inv
		if ev.Type == "invoice.payment_failed" && inv.last != nil && inv.last.Decline != nil {
			fails[inv.id] = append(fails[inv.id], failedPayment{at: env.now, pm: inv.last.PaymentMethodID, last: *inv.last.Decline})
		}
	}
	if err := w.Start(env); err != nil {
		t.Fatal(err)
	}
	env.run(nil)
	return w, env, fails, invs
}

// Stripe's retries keep to its settings and to the networks' rules: at most 8 retries, all
// within 2 weeks of the first failure, in the customer's morning; none after a decline Stripe
// does not retry on the same card; no card-network rule broken; and they collect something.
func TestStripeRetriesKeepTheRules(t *testing.T) {
	w, env, fails, invs := stripeAlone(t, 3000, 5)
	if len(env.viol) != 0 {
		t.Fatalf("Stripe's retries broke %d network rules, first %+v", len(env.viol), env.viol[0])
	}
	first := map[string]time.Time{}
	for _, f := range env.failures {
		first[f.InvoiceID] = f.At
	}
	tries := map[string]int{}
	paid := 0
	for _, s := range env.stripeTries {
		tries[s.invoice]++
		t0 := first[s.invoice]
		if s.at.Sub(t0) > stripeRetryDays*day {
			t.Errorf("%s: Stripe retried %s after the first failure", s.invoice, s.at.Sub(t0))
		}
		inv := invs[s.invoice]
		if h := s.at.In(inv.loc).Hour(); h < stripeMorning || h >= stripeMorning+4 {
			t.Errorf("%s: Stripe retried at %s local", s.invoice, s.at.In(inv.loc).Format(time.Kitchen))
		}
		// The payment before this retry, and the card this retry charged.
		var before *failedPayment
		for i := range fails[s.invoice] {
			if f := &fails[s.invoice][i]; f.at.Before(s.at) {
				before = f
			}
		}
		pm := inv.last.PaymentMethodID
		for _, f := range fails[s.invoice] {
			if f.at.Equal(s.at) {
				pm = f.pm
			}
		}
		if before != nil && before.pm == pm && !w.stripeRetryable(&card{brand: before.last.CardBrand}, before.last) {
			t.Errorf("%s: Stripe retried %s after %s (%s, advice %q, network %s/%s)", s.invoice, pm, before.last.DeclineCode,
				before.last.Code, before.last.AdviceCode, before.last.NetworkDeclineCode, before.last.NetworkAdviceCode)
		}
		if s.paid {
			paid++
		}
	}
	for id, n := range tries {
		if n > stripeMaxRetries {
			t.Errorf("%s: %d Stripe retries, want at most %d", id, n, stripeMaxRetries)
		}
	}
	by := map[sim.Mechanism]int{}
	for _, o := range env.outcomes {
		by[o.By]++
	}
	if paid == 0 || by[sim.ByStripeRetry] == 0 || len(env.stripeEmails) < len(env.failures) {
		t.Fatalf("%d Stripe retries, %d paid; outcomes by mechanism %v; %d emails for %d failures", len(env.stripeTries), paid, by, len(env.stripeEmails), len(env.failures))
	}
	// Hard declines are never retried on the same card.
	hard := 0
	for id, inv := range invs {
		if inv.cat == recoup.CategoryHard && len(inv.cards) == 1 && inv.updaterAt.IsZero() {
			hard++
			if tries[id] != 0 {
				t.Errorf("%s: hard decline %s retried %d times by Stripe", id, inv.first.DeclineCode, tries[id])
			}
		}
	}
	if hard == 0 {
		t.Fatal("no hard decline in the sample")
	}
}

// Turning auto_advance off stops Stripe's retries and emails for that invoice from that moment
// (the retry already scheduled does not happen); on gives it back. Paid invoices answer ECONFLICT.
func TestStripeStopsWhenAutoAdvanceOff(t *testing.T) {
	play := func(switchAt time.Duration, off bool) (*Realistic, *fakeEnv, *invoice) {
		start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		env := newFakeEnv(t, sim.Config{Invoices: 400, Start: start, End: start.Add(time.Hour), Window: 30 * day, Seed: 99, StripeRecovery: true})
		w := NewRealistic()
		if err := w.Start(env); err != nil {
			t.Fatal(err)
		}
		env.runUntil(start.Add(time.Hour))
		inv := find(t, w, func(i *invoice) bool {
			return quiet(i) && !i.leaver && i.cat == recoup.CategoryIssuerSoft && i.liftAt.IsZero() && !i.bounces && i.tolerance >= 8
		})
		if off {
			env.do(inv.t0.Add(switchAt), func() {
				if err := w.SetAutoAdvance(ctx, inv.id, false, "k1"); err != nil {
					t.Fatal(err)
				}
			})
		}
		env.runUntil(inv.t0.Add(30*day + time.Hour)) // past its window, within its tombstone
		return w, env, inv
	}
	count := func(env *fakeEnv, id string, from time.Time) (tries, emails int) {
		for _, s := range env.stripeTries {
			if s.invoice == id && !s.at.Before(from) {
				tries++
			}
		}
		for _, s := range env.stripeEmails {
			if s.invoice == id && !s.at.Before(from) {
				emails++
			}
		}
		return tries, emails
	}
	const after = 3 * day
	_, on, inv := play(after, false)
	cut := inv.t0.Add(after)
	if tries, emails := count(on, inv.id, cut); tries == 0 || emails == 0 {
		t.Fatalf("left to Stripe, %s had %d retries and %d emails after day 3; the test needs some", inv.id, tries, emails)
	}
	if tries, _ := count(on, inv.id, inv.t0); tries != stripeMaxRetries {
		t.Fatalf("a soft decline that never lifts: %d Stripe retries, want %d", tries, stripeMaxRetries)
	}
	w, off, inv2 := play(after, true)
	if inv2.id != inv.id {
		t.Fatalf("different invoices %s, %s", inv.id, inv2.id)
	}
	if tries, emails := count(off, inv.id, cut); tries != 0 || emails != 0 {
		t.Fatalf("after auto_advance off: %d Stripe retries, %d emails", tries, emails)
	}
	all, _ := count(on, inv.id, inv.t0)
	late, _ := count(on, inv.id, cut)
	if before, _ := count(off, inv.id, inv.t0); before != all-late || before == 0 {
		t.Fatalf("before the switch: %d retries, want %d as without it", before, all-late)
	}
	if o := off.outcomes[inv.id]; o.Result != sim.Unrecovered {
		t.Fatalf("taken over and never charged: %+v (Stripe's end of retries must not fire either)", o)
	}
	if err := w.SetAutoAdvance(ctx, inv.id, true, "k2"); recoup.ErrorCode(err) != recoup.ECONFLICT {
		t.Fatalf("auto_advance on a void invoice: %v, want a conflict", err)
	}
	if err := w.SetAutoAdvance(ctx, "in_999999", false, "k3"); recoup.ErrorCode(err) != recoup.ENOTFOUND {
		t.Fatalf("unknown invoice: %v", err)
	}
}

// Giving an invoice back (auto_advance on again) resumes Stripe's retries within its period.
func TestStripeResumesWhenGivenBack(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	env := newFakeEnv(t, sim.Config{Invoices: 400, Start: start, End: start.Add(time.Hour), Window: 30 * day, Seed: 99, StripeRecovery: true})
	w := NewRealistic()
	if err := w.Start(env); err != nil {
		t.Fatal(err)
	}
	env.runUntil(start.Add(time.Hour))
	inv := find(t, w, func(i *invoice) bool {
		return quiet(i) && !i.leaver && i.cat == recoup.CategoryIssuerSoft && i.liftAt.IsZero() && !i.bounces && i.tolerance >= 8
	})
	env.do(env.now, func() {
		if err := w.SetAutoAdvance(ctx, inv.id, false, "k1"); err != nil {
			t.Fatal(err)
		}
	})
	env.do(inv.t0.Add(5*day), func() {
		if err := w.SetAutoAdvance(ctx, inv.id, true, "k2"); err != nil {
			t.Fatal(err)
		}
	})
	env.run(nil)
	var got []string
	for _, s := range env.stripeTries {
		if s.invoice == inv.id {
			got = append(got, s.at.Sub(inv.t0).Round(time.Hour).String())
			if s.at.Before(inv.t0.Add(5 * day)) {
				t.Errorf("Stripe retried at %s, while it was taken over", s.at)
			}
		}
	}
	if len(got) == 0 {
		t.Fatal("given back on day 5, never retried by Stripe")
	}
	if o := env.outcomes[inv.id]; o.Result != sim.Lost || !strings.Contains(fmt.Sprint(env.events), "customer.subscription.deleted") {
		t.Fatalf("given back and unpaid: %+v; Stripe's end of retries should cancel the subscription", o)
	}
}

// With Stripe's recovery off, nothing of Stripe's happens and SetAutoAdvance changes nothing.
func TestStripeOff(t *testing.T) {
	r := simulate(t, 500, 3, fixedWithEmails)
	if len(r.env.stripeTries) != 0 || len(r.env.stripeEmails) != 0 {
		t.Fatalf("Stripe's recovery is off, yet %d retries and %d emails", len(r.env.stripeTries), len(r.env.stripeEmails))
	}
}
