package timing

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// EvidenceMin is how many outcomes a feature must have taken part in for what the model learned
// about it to count as evidence: below it, a weight is mostly its prior and its draw mostly
// exploration.
const EvidenceMin = 20

// Evidence says why a retry at chosen rather than at bound (an earlier time: the fixed
// schedule's) is worth the wait, if the reason is evidence and not the priors or a lucky draw.
// Evidence is either
//
//   - learned: among the features that differ between the two times, those behind at least
//     EvidenceMin outcomes each favour chosen by their mean weights (a day's pay-belief share
//     counts only once the pay counts hold EvidenceMin cases, or from the customer's own
//     earlier payments); or
//   - the customer's own history: their card passed after a shortage before, and the belief
//     over their pay schedules, which those payments moved, expects more money at chosen.
//
// It returns the evidence in words, or false. An advice code's required wait and the networks'
// rules are not weighed here: the schedule's time already keeps the wait, and the card-network
// guard moves any time later after the choice.
func (m *Model) Evidence(c Case, chosen, bound time.Time) (string, bool) {
	pb := c.payBelief(later(chosen, bound))
	a, b := features(c, chosen, pb), features(c, bound, pb)
	payLearned := m.payCases() >= EvidenceMin
	type term struct {
		f    string
		w    Weight
		sign float64
	}
	var learned []term
	sum := 0.0
	add := func(fs, others []string, sign float64) {
		for _, f := range fs {
			if slices.Contains(others, f) {
				continue
			}
			w := m.Weight(f)
			if w.N < EvidenceMin || (strings.Contains(f, "|paymix:") && !payLearned) {
				continue
			}
			learned = append(learned, term{f, w, sign})
			sum += sign * w.Mean
		}
	}
	add(a, b, 1)
	add(b, a, -1)
	var words []string
	if sum > 0 {
		slices.SortFunc(learned, func(x, y term) int { return cmp.Compare(y.sign*y.w.Mean, x.sign*x.w.Mean) })
		for _, t := range learned[:min(3, len(learned))] {
			at := "then"
			if t.sign < 0 {
				at = "at the schedule's time"
			}
			words = append(words, fmt.Sprintf("%d outcomes of %s (weight %+.2f, %s)", t.w.N, describe(t.f), t.w.Mean, at))
		}
	}
	if pb != nil && len(c.Past.Paid) > 0 {
		loc := c.loc()
		if x, y := pb.at(dayNumber(chosen.In(loc))), pb.at(dayNumber(bound.In(loc))); x > y {
			words = append(words, fmt.Sprintf("%d of this customer's earlier payments after a shortage point to money then (%.0f%% of their pay belief against %.0f%%)",
				len(c.Past.Paid), 100*x, 100*y))
		}
	}
	if len(words) == 0 {
		return "", false
	}
	return strings.Join(words, "; "), true
}

// KnowsCategory says whether the model has learned enough of c's retries to judge on evidence
// that none in a window is worth a charge.
func (m *Model) KnowsCategory(c Case) bool {
	return m.Weight("cat:"+string(c.Category)).N >= EvidenceMin
}

// payCases is how many cases' worth of pay evidence the model holds, all countries together.
func (m *Model) payCases() float64 {
	n := 0.0
	for _, v := range m.Pay[""] {
		n += v
	}
	return n
}

// describe words a feature for a reason: "funds|since_failure:4-7d" is "funds retries at
// since_failure 4-7d".
func describe(f string) string {
	g, rest, ok := strings.Cut(f, "|")
	if !ok {
		return f
	}
	kind, value, _ := strings.Cut(rest, ":")
	return fmt.Sprintf("%s retries at %s %s", g, strings.ReplaceAll(kind, "_", " "), value)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// bounded applies Options.Bound to a choice: a retry the model would place after the bound (or
// not at all) without evidence for it is chosen again within [From, Bound], and made at Bound
// when no time there is worth a charge by the model's reckoning (the schedule would charge).
func bounded(m *Model, rng *rand.Rand, c Case, o Options, ch Choice) Choice {
	if o.Bound.IsZero() || o.Bound.Before(o.From) || !o.Bound.Before(o.Until) {
		return ch
	}
	if ch.Retry && !ch.At.After(o.Bound) {
		return ch
	}
	loc := c.loc()
	boundWords := o.Bound.In(loc).Format("Mon 2 Jan 15:04 MST")
	if ch.Retry {
		words, ok := m.Evidence(c, ch.At, o.Bound)
		if n := m.Weight("cat:" + string(c.Category)).N; n >= EvidenceMin {
			// The model has learned this category's retries (the imported history's included):
			// its posterior, not the priors, places the retry. The reason says on how much.
			learned := fmt.Sprintf("a model that learned from %d outcomes of %s retries", n, c.Category)
			if ok {
				learned += ": " + words
			}
			words, ok = learned, true
		}
		if ok {
			ch.Reason += "; later than the fixed schedule's " + boundWords + " on evidence: " + words
			ch.Evidence = words
			return ch
		}
	} else if m.KnowsCategory(c) {
		return ch
	}
	was := "no time worth a charge"
	if ch.Retry {
		was = ch.At.In(loc).Format("Mon 2 Jan 15:04")
	}
	q := o
	q.Until, q.Bound = o.Bound, time.Time{}
	out := choose(m, m.Sampler(rng).narrowed(q.Narrow), c, q)
	if !out.Retry {
		out = choiceAt(m, c, o, o.Bound)
	}
	out.Reason += fmt.Sprintf("; no later than the fixed schedule's first retry (%s): no evidence yet for the model's %s, only priors", boundWords, was)
	out.Candidates += ch.Candidates
	return out
}

// choiceAt is a retry of c at t, described like a choice.
func choiceAt(m *Model, c Case, o Options, t time.Time) Choice {
	pb := c.payBelief(t)
	ch := Choice{Retry: true, At: t, Features: features(c, t, pb), MeanFrom: m.Predict(Features(c, o.From))}
	ch.Mean = m.Predict(ch.Features)
	ch.Sampled = ch.Mean
	ch.Reason = fmt.Sprintf("%s; %s; p=%.2f vs %.2f at the earliest; budget %d of %d left",
		orNone(c.Code), t.In(c.loc()).Format("Mon 2 Jan 15:04 MST"), ch.Mean, ch.MeanFrom, o.Remaining, o.Budget)
	if pb != nil {
		ch.Reason += pb.reason(t.In(c.loc())) + c.Past.reason(c.loc())
	}
	return ch
}
