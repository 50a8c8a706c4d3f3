package experiment

import (
	"math/rand/v2"
	"testing"
)

// TestPooledAdaptiveArmsCoverage: a fixed arm (30% of the customers, recovery 50%) against the
// adapting arms of optimize pooled into one arm (70%), inside which Thompson sampling (Allocate,
// floor 5%) moves customers between a variant at 45% and one at 60% as results come in, from
// the customers resolved 300 customers earlier (the rewards' delay). The pool's share never
// changes, so the pooled comparison is a plain two-arm one; its truth is the mean, over the
// customers so far, of what the pool's allocation promised each of them (Σ_k share_k·p_k/0.7)
// minus 50%. The confidence sequence looked at daily holds that truth in at least 90% of 200
// runs.
func TestPooledAdaptiveArmsCoverage(t *testing.T) {
	const (
		n, reps = 5000, 200
		base    = 0.5
		pool    = 0.7
		delay   = 300
	)
	p := []float64{0.45, 0.60}
	held, above := 0, 0
	meanEnd := 0.0
	for s := range reps {
		rng := rand.New(rand.NewPCG(uint64(s+1), 99))
		m, err := NewMonitor(Config{Control: "fixed", Treatment: "pool"})
		if err != nil {
			t.Fatal(err)
		}
		type result struct {
			arm int
			x   float64
		}
		var done []result
		shares := []float64{pool / 2, pool / 2}
		sumTheta := 0.0
		ok := true
		next := 1
		for i := range n {
			if i%100 == 0 && i >= delay {
				rw := []Rewards{{Arm: "a"}, {Arm: "b"}}
				for _, r := range done[:i-delay] {
					if r.arm >= 0 {
						rw[r.arm].Add(r.x)
					}
				}
				if shares, err = Allocate(rw, 1-pool, 0.05, 500, rng); err != nil {
					t.Fatal(err)
				}
			}
			sumTheta += (shares[0]*p[0] + shares[1]*p[1]) / pool
			var u Unit
			res := result{arm: -1}
			switch x := rng.Float64(); {
			case x < 1-pool:
				u = customer(rng, "fixed", 1-pool, base, int64(i))
			default:
				k := 0
				if x >= 1-pool+shares[0] {
					k = 1
				}
				u = customer(rng, "pool", pool, p[k], int64(i))
				res = result{arm: k, x: float64(u.RecoveredInvoices) / float64(u.Invoices)}
			}
			done = append(done, res)
			if err := m.Add(u); err != nil {
				t.Fatal(err)
			}
			if i+1 < next*n/peeks {
				continue
			}
			next++
			up := m.Uplift()
			if !up.Ready {
				continue
			}
			truth := 100 * (sumTheta/float64(i+1) - base)
			if !up.Sequential.Contains(truth) {
				ok = false
			}
			if i == n-1 {
				meanEnd += up.Value / reps
				if up.Sequential.Low > 0 {
					above++
				}
			}
		}
		if ok {
			held++
		}
	}
	t.Logf("pooled adapting arms against a fixed arm, 5,000 customers, %d runs: the sequence held the truth at every daily look in %.1f%%; mean uplift at the end %.2f pp; above 0 at the end in %d runs",
		reps, 100*float64(held)/reps, meanEnd, above)
	if float64(held)/reps < 0.90 {
		t.Errorf("the confidence sequence of the pooled arms held the truth at every look in %.1f%% of runs, want at least 90%%", 100*float64(held)/reps)
	}
}
