package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// Experiments. When the policy in force has an experiment that has not ended, a case takes its
// arm in the transaction that opens it, before any plan: the arm the store already holds for
// the customer (their first invoice's), else the arm the experiment's hash gives them, recorded
// for their later invoices. The case keeps its arm for its whole life, whatever the policy
// file becomes: a reload that removes the arm leaves the name on the case, and the case's view
// (Policy.ForCase) falls back to its segment's rules.

// experimentTx returns the store's experiment methods within tx, if it has them.
func experimentTx(tx recoup.Tx) (recoup.ExperimentTx, bool) {
	if m, ok := tx.(*memoTx); ok {
		tx = m.Tx
	}
	et, ok := tx.(recoup.ExperimentTx)
	return et, ok
}

// assignArm puts a case being opened (no ID yet) into its arm of the policy's experiment and
// returns what to say of it on the timeline ("" when there is no experiment).
func (e *Engine) assignArm(tx recoup.Tx, c *recoup.Case, now time.Time) (summary string, detail map[string]any, err error) {
	x := e.Policy().Experiment
	if x == nil || len(x.Arms) == 0 || c.CustomerID == "" {
		return "", nil, nil
	}
	et, ok := experimentTx(tx)
	if !ok {
		// A store without experiments: the hash alone. It is deterministic, but a change of
		// the weights would move the customer's later invoices.
		arm := x.Assign(c.CustomerID, nil)
		c.Experiment, c.Arm = x.Name, arm.Name
		return armWords(x, arm.Name, arm.Share, now, false, now) + " (the store keeps no assignments: a change of the weights may move the customer's later invoices)",
			armDetail(x, arm.Name, arm.Share, now, false), nil
	}
	state, err := et.Experiment(x.Name)
	switch {
	case recoup.IsNotFound(err):
		if err := et.StartExperiment(x.Name, now); err != nil {
			return "", nil, fmt.Errorf("start experiment %s: %w", x.Name, err)
		}
	case err != nil:
		return "", nil, fmt.Errorf("experiment %s: %w", x.Name, err)
	case state.Ended():
		s := fmt.Sprintf("experiment %s ended on %s: this case is in no arm and follows the policy", x.Name, state.EndedAt.UTC().Format("2 Jan 2006"))
		return s, map[string]any{"experiment": x.Name, "ended_at": state.EndedAt}, nil
	}
	a, err := et.Assignment(x.Name, c.CustomerID)
	earlier := err == nil
	var (
		learned     string
		optShares   []float64
		optResolved int
		stratum     string
	)
	if recoup.IsNotFound(err) {
		shares := x.Shares()
		if x.Optimize != nil {
			stratum = stratumOf(x, *c, e.Policy())
			opt, err := optimizedShares(et, x, c.CustomerID, stratum)
			if err != nil {
				return "", nil, err
			}
			shares, learned = opt.shares, opt.words(x)
			optShares, optResolved = opt.shares, opt.resolved
			if e.log.Enabled(context.Background(), slog.LevelDebug) {
				e.log.Debug("optimize", "experiment", x.Name, "customer", c.CustomerID, "shares", opt.shares, "resolved", opt.resolved)
			}
		}
		arm := x.Assign(c.CustomerID, shares)
		a = recoup.Assignment{Experiment: x.Name, CustomerID: c.CustomerID, Arm: arm.Name, Share: shares[slices.IndexFunc(x.Arms, func(b policy.Arm) bool { return b.Name == arm.Name })], AssignedAt: now, Stratum: stratum}
		err = et.InsertAssignment(&a)
		if recoup.ErrorCode(err) == recoup.ECONFLICT {
			// Another case of the customer was assigned meanwhile (another process): its arm stands.
			a, err = et.Assignment(x.Name, c.CustomerID)
			earlier = err == nil
		}
	}
	if err != nil {
		return "", nil, fmt.Errorf("arm of customer %s in experiment %s: %w", c.CustomerID, x.Name, err)
	}
	c.Experiment, c.Arm = x.Name, a.Arm
	words, detail := armWords(x, a.Arm, a.Share, a.AssignedAt, earlier, now), armDetail(x, a.Arm, a.Share, a.AssignedAt, earlier)
	if learned != "" && !earlier {
		words += ". " + learned
		detail["optimize_shares"] = optShares
		detail["optimize_resolved"] = optResolved
		if stratum != "" {
			detail["optimize_stratum"] = stratum
		}
	}
	return words, detail, nil
}

// armWords says which arm a case is in and why, for its timeline.
func armWords(x *policy.Experiment, arm string, share float64, assignedAt time.Time, earlier bool, now time.Time) string {
	var b strings.Builder
	if x.Optimize != nil {
		fmt.Fprintf(&b, "in arm %s of experiment %s: customers are split by a hash of their id over shares that optimize adapts to the arms' results; ", arm, x.Name)
	} else {
		fmt.Fprintf(&b, "in arm %s of experiment %s: customers are split %s by a hash of their id; ", arm, x.Name, split(x))
	}
	if earlier {
		fmt.Fprintf(&b, "this customer was assigned on %s, when the arm had %s of them, and stays in it",
			assignedAt.UTC().Format("2 Jan 2006"), percent(share))
	} else {
		fmt.Fprintf(&b, "this customer was assigned on %s", now.UTC().Format("2 Jan 2006"))
	}
	a, ok := x.Arm(arm)
	switch {
	case !ok:
		b.WriteString(". The arm is no longer in the policy file: the case follows its segment's rules")
	case a.Control:
		b.WriteString(". This is the control: Stripe's own recovery handles the invoice, and recoup only observes")
	case len(a.Overrides) > 0:
		b.WriteString(". The arm sets its own " + strings.Join(a.Overrides, ", "))
	default:
		b.WriteString(". The arm runs the policy as written")
	}
	return b.String()
}

func armDetail(x *policy.Experiment, arm string, share float64, assignedAt time.Time, earlier bool) map[string]any {
	return map[string]any{"experiment": x.Name, "arm": arm, "share": share, "assigned_at": assignedAt, "earlier_assignment": earlier}
}

// split words the experiment's shares: "50/50 (stripe/recoup)"; with more than three arms
// "stripe 20%, recoup 20%, ...".
func split(x *policy.Experiment) string {
	if len(x.Arms) <= 3 {
		parts := make([]string, len(x.Arms))
		for i, a := range x.Arms {
			parts[i] = strings.TrimSuffix(percent(a.Share), "%")
		}
		return strings.Join(parts, "/") + " (" + names(x) + ")"
	}
	parts := make([]string, len(x.Arms))
	for i, a := range x.Arms {
		parts[i] = a.Name + " " + percent(a.Share)
	}
	return strings.Join(parts, ", ")
}

func names(x *policy.Experiment) string {
	out := make([]string, len(x.Arms))
	for i, a := range x.Arms {
		out[i] = a.Name
	}
	return strings.Join(out, "/")
}

func percent(share float64) string {
	s := fmt.Sprintf("%.1f", share*100)
	return strings.TrimSuffix(s, ".0") + "%"
}
