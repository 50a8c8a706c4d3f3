package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/experiment"
	"github.com/recoup-hq/recoup/policy"
)

// Optimize. Under an experiment's optimize, a new customer's arm is drawn from shares that
// Thompson sampling sets from what the policy arms' cases came to so far (experiment.Allocate):
// each policy arm keeps at least the floor, and the control keeps its share of the weights, so
// the uplift against it stays unbiased. The shares are computed in the transaction that opens
// the customer's first case, and the share of the arm drawn is recorded with the assignment: it
// is the probability the customer had of landing there, which the experiment's estimates weight
// by. A customer assigned earlier keeps their arm.
//
// The reward is per invoice: a resolved case (recovered, exhausted or closed) counts 1 when its
// invoice was paid and 0 when not, i.e. its recovered amount over its failed amount, as an
// invoice is paid whole or not at all. Cases still open are not rewards yet. Invoices rather
// than customers, because a customer's later invoices would make the arm wait for the
// customer's whole history, and the engine reads one count per arm (ArmOutcomes) rather than
// every customer's sums.
//
// The draws are seeded from a hash of the experiment's name and the customer's id, never a
// clock: the same store contents give the same shares for the same customer, so a replay
// assigns alike.

// optimizeDraws is how many joint draws of the arms' posteriors estimate each arm's chance of
// being the best: the share's standard error is below 1.6 points (0.5/sqrt(1000)).
const optimizeDraws = 1000

// optimized is the outcome of one allocation: the shares of every arm in arm order (the
// control's as the weights give it), and what they came from.
type optimized struct {
	shares   []float64
	resolved int
}

// optimizedShares computes the arms' shares for the new customer from the store's outcomes of
// the experiment's policy arms.
func optimizedShares(et recoup.ExperimentTx, x *policy.Experiment, customerID string) (optimized, error) {
	outcomes, err := et.ArmOutcomes(x.Name)
	if err != nil {
		return optimized{}, fmt.Errorf("optimize experiment %s: %w", x.Name, err)
	}
	byArm := make(map[string]recoup.ArmOutcome, len(outcomes))
	for _, o := range outcomes {
		byArm[o.Arm] = o
	}
	var (
		rewards []experiment.Rewards
		control float64
		out     optimized
	)
	for _, a := range x.Arms {
		if a.Control {
			control += a.Share
			continue
		}
		o := byArm[a.Name]
		// Rewards of 0 and 1: Σx = Σx² = the recovered invoices.
		rewards = append(rewards, experiment.Rewards{Arm: a.Name, N: o.Resolved, Sum: float64(o.Recovered), SumSq: float64(o.Recovered)})
		out.resolved += o.Resolved
	}
	policyShares, err := experiment.Allocate(rewards, control, x.Optimize.Floor, optimizeDraws, optimizeRand(x.Name, customerID))
	if err != nil {
		return optimized{}, fmt.Errorf("optimize experiment %s: %w", x.Name, err)
	}
	out.shares = make([]float64, len(x.Arms))
	k := 0
	for i, a := range x.Arms {
		if a.Control {
			out.shares[i] = a.Share
			continue
		}
		out.shares[i] = policyShares[k]
		k++
	}
	return out, nil
}

// optimizeRand is the draws' source for one customer: PCG seeded from sha256 of
// "optimize", the experiment's name and the customer's id.
func optimizeRand(experimentName, customerID string) *rand.Rand {
	sum := sha256.Sum256([]byte("optimize\x00" + experimentName + "\x00" + customerID))
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])))
}

// words says where the shares came from: "optimize: the arms' shares are now 12/58/20/10%
// (floor 10%), from 340 resolved invoices".
func (o optimized) words(x *policy.Experiment) string {
	parts := make([]string, len(o.shares))
	for i, s := range o.shares {
		parts[i] = strings.TrimSuffix(percent(s), "%")
	}
	from := fmt.Sprintf("from %d resolved invoices of the policy arms", o.resolved)
	switch o.resolved {
	case 0:
		from = "with no resolved invoice yet: every policy arm is as likely to be the best"
	case 1:
		from = "from 1 resolved invoice of the policy arms"
	}
	control := ""
	for _, a := range x.Arms {
		if a.Control {
			control = fmt.Sprintf("; the control %s keeps its %s", a.Name, percent(a.Share))
		}
	}
	return fmt.Sprintf("optimize: the arms' shares are now %s%% (%s; floor %s each%s), %s",
		strings.Join(parts, "/"), names(x), percent(x.Optimize.Floor), control, from)
}
