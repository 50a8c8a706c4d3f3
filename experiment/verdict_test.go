package experiment

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func monitorOf(t *testing.T, seed uint64, n int, p, q, share float64) *Monitor {
	t.Helper()
	m, err := NewMonitor(Config{Control: "stripe"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	for i := range n {
		arm, prob, s := "stripe", p, 1-share
		if rng.Float64() < share {
			arm, prob, s = "recoup", q, share
		}
		if err := m.Add(customer(rng, arm, s, prob, int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		p, q float64
		want Verdict
	}{{0.4, 0.6, VerdictAhead}, {0.6, 0.4, VerdictBehind}, {0.5, 0.5, VerdictUndecided}} {
		t.Run(fmt.Sprintf("%v against %v", tc.q, tc.p), func(t *testing.T) {
			up := monitorOf(t, 1, 5000, tc.p, tc.q, 0.5).Uplift()
			if up.Verdict != tc.want {
				t.Fatalf("verdict %q (uplift %.2f pp, %+v), want %q", up.Verdict, up.Value, up.Sequential, tc.want)
			}
			if tc.want != VerdictUndecided && (up.Needed.Customers != 0 || up.Needed.Invoices != 0) {
				t.Errorf("a verdict is reached, yet %d more customers are needed", up.Needed.Customers)
			}
		})
	}
	// Too few customers: no interval, no verdict, even with a huge difference.
	up := monitorOf(t, 1, 30, 0, 1, 0.5).Uplift()
	if up.Ready || up.Verdict != VerdictUndecided {
		t.Errorf("30 customers: ready %v verdict %q, want no interval yet", up.Ready, up.Verdict)
	}
}

// TestNeededProjection: at 1,000 customers of a +8 pp world the projection says how many more
// customers the sequential interval needs to shrink to the observed uplift; running the same
// world that much longer gives a half-width close to it.
func TestNeededProjection(t *testing.T) {
	checked := 0
	for seed := uint64(1); seed <= 5; seed++ {
		m := monitorOf(t, seed, 1000, 0.45, 0.53, 0.5)
		up := m.Uplift()
		if up.Verdict != VerdictUndecided {
			continue
		}
		nd := up.Needed
		if nd.Beyond || nd.Customers <= 0 {
			t.Fatalf("seed %d: needed %+v", seed, nd)
		}
		if nd.Invoices < nd.Customers {
			t.Errorf("seed %d: %d invoices for %d customers, but each customer has at least one", seed, nd.Invoices, nd.Customers)
		}
		checked++
		later := monitorOf(t, seed+100, 1000+int(nd.Customers), 0.45, 0.53, 0.5).Uplift()
		half := (later.Sequential.High - later.Sequential.Low) / 2
		if half > 1.15*nd.Effect || half < 0.85*nd.Effect {
			t.Errorf("seed %d: projected the half-width to fall to %.2f pp after %d more customers; it is %.2f pp", seed, nd.Effect, nd.Customers, half)
		}
	}
	if checked < 3 {
		t.Errorf("only %d of 5 draws were undecided at 1,000 customers", checked)
	}
}

// TestNeededShares: the projection uses the arms' latest shares: if the treatment gets a
// share of 0.1 from now on (the control 0.9), the variance per customer roughly triples
// (1/0.1 + 1/0.9 against 1/0.5 + 1/0.5), and so do the customers needed.
func TestNeededShares(t *testing.T) {
	even := monitorOf(t, 9, 2000, 0.5, 0.53, 0.5)
	narrowed := monitorOf(t, 9, 2000, 0.5, 0.53, 0.5)
	for _, u := range []Unit{
		{Arm: "recoup", Share: 0.1, Failed: 3000, Recovered: 1500, Invoices: 1},
		{Arm: "stripe", Share: 0.9, Failed: 3000, Recovered: 1500, Invoices: 1},
	} {
		if err := narrowed.Add(u); err != nil {
			t.Fatal(err)
		}
	}
	a, b := even.Uplift().Needed, narrowed.Uplift().Needed
	if !(b.Customers > 2*a.Customers) {
		t.Errorf("treatment share 0.5: %d more customers; share 0.1: %d, want more than twice as many", a.Customers, b.Customers)
	}
}

// TestNeededUnlikely: in an A/A experiment the observed uplift is mostly below the minimal
// detectable effect: the projection is then for that effect and says a verdict is unlikely.
func TestNeededUnlikely(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		up := monitorOf(t, seed, 3000, 0.5, 0.5, 0.5).Uplift()
		if up.Value > 1 || up.Value < -1 {
			continue
		}
		if !up.Needed.Unlikely || up.Needed.Effect != 1 || up.Needed.Customers <= 0 || up.Verdict != VerdictUndecided {
			t.Errorf("uplift %.2f pp: verdict %q, needed %+v; want undecided, unlikely, projected for 1 pp", up.Value, up.Verdict, up.Needed)
		}
		return
	}
	t.Fatal("no A/A draw of 3,000 customers in 20 seeds had an uplift within 1 pp")
}

func TestNeededWords(t *testing.T) {
	for _, tc := range []struct {
		n    Needed
		want string
	}{
		{Needed{Effect: 2.5}, ""},
		{Needed{Effect: 2.4678, Customers: 900, Invoices: 1234567}, "about 1,234,567 more invoices for a verdict at the current uplift of 2.5 pp"},
		{Needed{Effect: 1, Unlikely: true, Customers: 9000, Invoices: 12600}, "a verdict is unlikely: the uplift is under 1 pp; detecting 1 pp would take about 12,600 more invoices"},
		{Needed{Effect: 3, Beyond: true}, "a verdict is out of reach at the current variance"},
		{Needed{Effect: 100, Invoices: 999}, "about 999 more invoices for a verdict at the current uplift of 100 pp"},
	} {
		if got := tc.n.Words(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.n, got, tc.want)
		}
	}
}
