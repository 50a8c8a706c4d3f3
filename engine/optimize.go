package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

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
// The control and the arms marked fixed keep their weights' shares; only the other policy arms
// (the adapting arms) share the rest. A fixed arm running the policy as written is thus a
// baseline whose share never moves, against which the adapting arms together are measured
// without bias (docs/experiments.md, "Optimized against a fixed arm").
//
// Under optimize: {by: time_zone} the shares are learned apart for each stratum: the group of
// customers whose time zones have the same standard offset from UTC (stratum). The customer's
// stratum is recorded with the assignment, and the store counts their cases' outcomes in it.
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
	stratum  string
}

// optimizedShares computes the arms' shares for the new customer from the store's outcomes of
// the experiment's policy arms.
// stratum is the customer's group under optimize's by ("" for all customers together).
func optimizedShares(et recoup.ExperimentTx, x *policy.Experiment, customerID, stratum string) (optimized, error) {
	outcomes, err := et.ArmOutcomes(x.Name, stratum)
	if err != nil {
		return optimized{}, fmt.Errorf("optimize experiment %s: %w", x.Name, err)
	}
	byArm := make(map[string]recoup.ArmOutcome, len(outcomes))
	for _, o := range outcomes {
		byArm[o.Arm] = o
	}
	var (
		rewards []experiment.Rewards
		fixed   = x.FixedShare()
		out     = optimized{stratum: stratum}
	)
	for _, a := range x.Arms {
		if !a.Adapts() {
			continue
		}
		o := byArm[a.Name]
		// Rewards of 0 and 1: Σx = Σx² = the recovered invoices.
		rewards = append(rewards, experiment.Rewards{Arm: a.Name, N: o.Resolved, Sum: float64(o.Recovered), SumSq: float64(o.Recovered)})
		out.resolved += o.Resolved
	}
	policyShares, err := experiment.Allocate(rewards, fixed, x.Optimize.Floor, optimizeDraws, optimizeRand(x.Name, customerID))
	if err != nil {
		return optimized{}, fmt.Errorf("optimize experiment %s: %w", x.Name, err)
	}
	out.shares = make([]float64, len(x.Arms))
	k := 0
	for i, a := range x.Arms {
		if !a.Adapts() {
			out.shares[i] = a.Share
			continue
		}
		out.shares[i] = policyShares[k]
		k++
	}
	return out, nil
}

// stratumOf is the customer's group under the experiment's optimize: "" unless it learns by
// time zone; then the standard offset from UTC of the customer's time zone (from their address,
// else their card's country, else the policy's zone), "UTC-05:00": zones whose local hours line
// up share what they learn. The standard offset is the smaller of the zone's offsets in January
// and July 2001 (summer time adds to it), so a customer's group does not change with the
// season and is the same whenever they are assigned.
func stratumOf(x *policy.Experiment, c recoup.Case, p *policy.Policy) string {
	if x.Optimize == nil || x.Optimize.By != policy.OptimizeByTimeZone {
		return ""
	}
	loc, _ := customerClock(c, p)
	_, jan := time.Date(2001, time.January, 15, 12, 0, 0, 0, loc).Zone()
	_, jul := time.Date(2001, time.July, 15, 12, 0, 0, 0, loc).Zone()
	off := min(jan, jul)
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, off/3600, off%3600/60)
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
	of := "of the policy arms"
	if o.stratum != "" {
		of = "of the adapting arms' customers in time zones at " + o.stratum
	} else if slices.ContainsFunc(x.Arms, func(a policy.Arm) bool { return a.Fixed }) {
		of = "of the adapting arms"
	}
	from := fmt.Sprintf("from %d resolved invoices %s", o.resolved, of)
	switch o.resolved {
	case 0:
		from = "with no resolved invoice yet: every adapting arm is as likely to be the best"
		if o.stratum != "" {
			from = "with no resolved invoice yet in time zones at " + o.stratum + ": every adapting arm is as likely to be the best"
		}
	case 1:
		from = fmt.Sprintf("from 1 resolved invoice %s", of)
	}
	kept := ""
	for _, a := range x.Arms {
		switch {
		case a.Control:
			kept += fmt.Sprintf("; the control %s keeps its %s", a.Name, percent(a.Share))
		case a.Fixed:
			kept += fmt.Sprintf("; the fixed arm %s keeps its %s", a.Name, percent(a.Share))
		}
	}
	return fmt.Sprintf("optimize: the arms' shares are now %s%% (%s; floor %s each%s), %s",
		strings.Join(parts, "/"), names(x), percent(x.Optimize.Floor), kept, from)
}
