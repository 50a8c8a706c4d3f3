package experiment

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Rewards are the rewards of one policy arm so far: for every resolved unit, the recovered
// amount divided by the failed amount (a number from 0 to 1). The engine's unit is the resolved
// invoice, whose reward is 1 if it was paid and 0 if not (docs/experiments.md).
type Rewards struct {
	Arm        string
	N          int
	Sum, SumSq float64
}

// Add records one resolved unit's reward.
func (r *Rewards) Add(x float64) {
	r.N++
	r.Sum += x
	r.SumSq += x * x
}

// The prior of every arm is one pseudo-observation at 0.5 with variance 0.25 (the largest a
// reward in [0, 1] can have), so an arm with no data is drawn from N(0.5, 0.25): anything
// goes, and the prior weighs like one customer once data come in.
const (
	priorN    = 1.0
	priorMean = 0.5
	priorVar  = 0.25
)

// posterior returns the mean and standard deviation of the arm's Gaussian posterior on its
// mean reward: mean m = (Σx + n0·0.5)/(n + n0), per-customer variance
// v = (Σ(x-m)² + n0·0.25)/(n + n0), standard deviation sqrt(v/(n + n0)).
func (r Rewards) posterior() (mean, sd float64) {
	n := float64(r.N) + priorN
	mean = (r.Sum + priorN*priorMean) / n
	ss := r.SumSq - 2*mean*r.Sum + float64(r.N)*mean*mean // Σ(x-m)²
	v := (math.Max(ss, 0) + priorN*priorVar) / n
	return mean, math.Sqrt(v / n)
}

// Allocate returns the shares of the policy arms under Thompson sampling: each arm's
// probability of having the best mean reward is estimated by draws joint draws from the arms'
// Gaussian posteriors (draws from rng, so a seed makes it deterministic), and
//
//	share_k = floor + (1 - control - K·floor) · P(arm k is best)
//
// for the K policy arms, so every arm keeps at least floor, and the shares sum with the
// control's fixed share to 1. The control takes no part: its share is set by the experiment
// and kept, so the uplift against it stays unbiased.
func Allocate(arms []Rewards, control, floor float64, draws int, rng *rand.Rand) ([]float64, error) {
	k := len(arms)
	if k == 0 {
		return nil, fmt.Errorf("thompson allocation: no policy arm")
	}
	if !(control >= 0 && control < 1) {
		return nil, fmt.Errorf("thompson allocation: control share %v is not in [0, 1)", control)
	}
	free := 1 - control - float64(k)*floor
	if floor < 0 || free < 0 {
		return nil, fmt.Errorf("thompson allocation: %d arms with floor %v and control %v need more than the whole", k, floor, control)
	}
	if draws < 1 {
		return nil, fmt.Errorf("thompson allocation: %d draws, want at least 1", draws)
	}
	if rng == nil {
		return nil, fmt.Errorf("thompson allocation: no random source")
	}
	means := make([]float64, k)
	sds := make([]float64, k)
	for i, a := range arms {
		means[i], sds[i] = a.posterior()
	}
	wins := make([]int, k)
	for range draws {
		best, bestX := 0, math.Inf(-1)
		for i := range arms {
			if x := means[i] + sds[i]*rng.NormFloat64(); x > bestX {
				best, bestX = i, x
			}
		}
		wins[best]++
	}
	shares := make([]float64, k)
	for i := range shares {
		shares[i] = floor + free*float64(wins[i])/float64(draws)
	}
	return shares, nil
}
