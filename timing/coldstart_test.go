package timing

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// boundCase is a funds case whose fixed schedule would retry the day after the failure.
func boundCase(t *testing.T) (Case, Options) {
	t.Helper()
	c := Case{Category: recoup.CategoryFunds, Code: "insufficient_funds", Loc: time.UTC, Cal: CalendarFor("US"), Country: "US",
		FirstFailed: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)}
	from := c.FirstFailed.Add(24 * time.Hour)
	return c, Options{From: from, Until: c.FirstFailed.Add(45 * 24 * time.Hour), Remaining: 6, Budget: 6,
		DailyDiscount: 0.97, MinProbability: 0.05, FirstHour: 6, LastHour: 21, Bound: from}
}

// Without evidence, the first retry comes no later than the bound (the fixed schedule's), for
// every draw of an untrained model; without the bound, the same draws place it days later.
func TestColdStartBoundHoldsWithoutEvidence(t *testing.T) {
	c, o := boundCase(t)
	m := NewModel()
	c.PayPrior = m.PayPrior(c.Country)
	free := o
	free.Bound = time.Time{}
	var later int
	for seed := range uint64(200) {
		if ch := Choose(m, rand.New(rand.NewPCG(seed, 1)), c, free); ch.Retry && ch.At.After(o.From) {
			later++
		}
		ch := Choose(m, rand.New(rand.NewPCG(seed, 1)), c, o)
		if !ch.Retry || ch.At.After(o.Bound) {
			t.Fatalf("draw %d: retry %v at %s, after the schedule's %s: %s", seed, ch.Retry, ch.At, o.Bound, ch.Reason)
		}
		if ch.Evidence != "" {
			t.Fatalf("draw %d: an untrained model cites evidence %q", seed, ch.Evidence)
		}
	}
	if later < 100 {
		t.Errorf("without the bound only %d of 200 draws go later than the schedule: the test shows nothing", later)
	}
}

// With evidence (outcomes that say retries 4-7 days after a funds failure pass and those of the
// next day do not), the model may go later than the schedule, and its reason says why.
func TestColdStartBoundGivesWayToEvidence(t *testing.T) {
	c, o := boundCase(t)
	m := NewModel()
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 400 {
		day := 1 + i%2*4 // day 1 or day 5 after the failure
		at := c.FirstFailed.Add(time.Duration(day)*24*time.Hour + time.Duration(rng.IntN(8))*time.Hour)
		m.Update(Features(c, at), day == 5 && rng.Float64() < 0.5)
	}
	c.PayPrior = m.PayPrior(c.Country)
	var later int
	for seed := range uint64(50) {
		ch := Choose(m, rand.New(rand.NewPCG(seed, 2)), c, o)
		if !ch.Retry || !ch.At.After(o.Bound) {
			continue
		}
		later++
		if ch.Evidence == "" || !strings.Contains(ch.Reason, "later than the fixed schedule's") || !strings.Contains(ch.Reason, "outcomes of funds retries at since failure") {
			t.Fatalf("draw %d: later than the schedule without citing its evidence: %s", seed, ch.Reason)
		}
	}
	if later < 40 {
		t.Errorf("only %d of 50 draws go later than the schedule, with 200 outcomes saying day 5 passes and day 1 does not", later)
	}
}

// Once the model has learned EvidenceMin outcomes of the category (its own, Stripe's or the
// imported history's), the first retry follows the learned model, and a retry later than the
// schedule's cites how many outcomes it rests on; one outcome fewer and the bound holds. The
// outcomes here say nothing about timing (random times, a tenth pass), so only the count of the
// category's outcomes releases the bound, not a feature that favours the later time.
func TestColdStartBoundGivesWayOnceTheCategoryIsLearned(t *testing.T) {
	c, o := boundCase(t)
	for _, n := range []int{EvidenceMin - 1, EvidenceMin} {
		m := NewModel()
		rng := rand.New(rand.NewPCG(5, uint64(n)))
		for range n {
			at := c.FirstFailed.Add(time.Duration(1+rng.IntN(40*24)) * time.Hour)
			m.Update(Features(c, at), rng.Float64() < 0.1)
		}
		c.PayPrior = m.PayPrior(c.Country)
		var later int
		for seed := range uint64(100) {
			ch := Choose(m, rand.New(rand.NewPCG(seed, 3)), c, o)
			if !ch.Retry || !ch.At.After(o.Bound) {
				continue
			}
			later++
			if n < EvidenceMin {
				t.Fatalf("%d outcomes, draw %d: later than the schedule: %s", n, seed, ch.Reason)
			}
			want := fmt.Sprintf("on evidence: a model that learned from %d outcomes of funds retries", n)
			if ch.Evidence == "" || !strings.Contains(ch.Reason, want) {
				t.Fatalf("%d outcomes, draw %d: later than the schedule without saying on what: %s", n, seed, ch.Reason)
			}
		}
		if n >= EvidenceMin && later < 50 {
			t.Errorf("%d outcomes of the category: only %d of 100 draws go later than the schedule", n, later)
		}
	}
}

// The public pay schedules: a US customer starts paid on Fridays more than on the 10th, a
// British one on the last business day; the merchant's paydays lead; neutral priors are flat.
func TestPublicPaySchedulePriors(t *testing.T) {
	m := NewModel()
	us, gb := m.PayPrior("US"), m.PayPrior("GB")
	if us[weeklyIndex[time.Friday]] < 5*us[dayIndex[10]] {
		t.Errorf("US: weekly Friday %.3f, the 10th %.3f: want Fridays well ahead", us[weeklyIndex[time.Friday]], us[dayIndex[10]])
	}
	if gb[lastIndex] < 5*gb[weeklyIndex[time.Tuesday]] {
		t.Errorf("GB: last business day %.3f, weekly Tuesday %.3f", gb[lastIndex], gb[weeklyIndex[time.Tuesday]])
	}
	own := NewModelWith(Priors{Public: true, Paydays: map[string][]string{"US": {"day:10"}}}).PayPrior("US")
	if own[dayIndex[10]] < 0.5 {
		t.Errorf("the merchant's payday the 10th holds %.2f of the US prior, want at least 0.5", own[dayIndex[10]])
	}
	flat := NewModelWith(Priors{}).PayPrior("US")
	if flat[weeklyIndex[time.Friday]] != flat[dayIndex[10]] {
		t.Errorf("neutral priors: Friday %.3f, the 10th %.3f, want equal", flat[weeklyIndex[time.Friday]], flat[dayIndex[10]])
	}
	if NewModelWith(Priors{}).PriorsKey == m.PriorsKey {
		t.Error("public and neutral priors share a key: a model folded from one would be used for the other")
	}
}

// Approval by local hour and money on paydays: before any outcome, a retry at 03:00 is less
// likely than at 09:00, and a funds retry on a day the pay belief expects money more likely than
// on one it does not; neutral priors see no difference.
func TestPublicFeaturePriors(t *testing.T) {
	for _, tc := range []struct {
		priors Priors
		differ bool
	}{{PublicPriors(), true}, {Priors{}, false}} {
		m := NewModelWith(tc.priors)
		night := m.Predict([]string{"bias", "cat:issuer_soft", "issuer_soft|hour:3"})
		morning := m.Predict([]string{"bias", "cat:issuer_soft", "issuer_soft|hour:9"})
		dry := m.Predict([]string{"bias", "cat:funds", "funds|paymix:0"})
		payday := m.Predict([]string{"bias", "cat:funds", "funds|paymix:40-50%"})
		if got := night < morning && dry < payday; got != tc.differ {
			t.Errorf("public %v: 03:00 %.3f vs 09:00 %.3f, no money %.3f vs payday %.3f", tc.priors.Public, night, morning, dry, payday)
		}
	}
}

// A generic decline is not retried within hours when a day later is nearly as likely: the
// retry's cost to the card's later chances counts.
func TestRapidRetryOfAGenericDeclineCosts(t *testing.T) {
	m := NewModel()
	c := Case{Category: recoup.CategoryIssuerSoft, Code: "generic_decline", Loc: time.UTC, FirstFailed: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	c.LastAttempt = c.FirstFailed
	o := Options{From: c.FirstFailed.Add(time.Hour), Until: c.FirstFailed.Add(3 * 24 * time.Hour), Remaining: 6, Budget: 6,
		DailyDiscount: 0.97, MinProbability: 0.01, FirstHour: 6, LastHour: 21}
	pr := PublicPriors()
	soon := func(keep bool) int {
		q := o
		if keep {
			q.Keep = func(d time.Duration) float64 { return pr.SoonKeep(string(c.Category), d) }
		}
		n := 0
		for seed := range uint64(200) {
			if ch := Choose(m, rand.New(rand.NewPCG(seed, 3)), c, q); ch.Retry && ch.At.Sub(c.LastAttempt) < 6*time.Hour {
				n++
			}
		}
		return n
	}
	with, without := soon(true), soon(false)
	if with >= without || without == 0 {
		t.Errorf("retries within 6 hours of a generic decline: %d of 200 with its cost, %d without", with, without)
	}
}

// Giving up a case is for good: after a short run of declines (400 funds retries, none paid)
// the model's expectation falls under min_probability everywhere, yet it cannot rule the
// times out, and with Options.Plausible the case keeps a retry; after 20,000 declines at every
// time it can, and the case is given up all the same.
func TestPlausibleTimeKeepsTheCaseAfterARunOfDeclines(t *testing.T) {
	c, o := boundCase(t)
	o.Bound = time.Time{}
	for _, tc := range []struct {
		declines int
		keep     bool
	}{{400, true}, {20000, false}} {
		m := NewModel()
		rng := rand.New(rand.NewPCG(9, uint64(tc.declines)))
		for range tc.declines {
			at := c.FirstFailed.Add(time.Duration(1+rng.IntN(44*24)) * time.Hour)
			m.Update(Features(c, at), false)
		}
		c.PayPrior = m.PayPrior(c.Country)
		with := o
		with.Plausible = true
		var without, kept int
		for seed := range uint64(50) {
			if Choose(m, rand.New(rand.NewPCG(seed, 4)), c, o).Retry {
				without++
			}
			if Choose(m, rand.New(rand.NewPCG(seed, 4)), c, with).Retry {
				kept++
			}
		}
		switch {
		case tc.keep && (without > 15 || kept < 45):
			t.Errorf("%d declines: %d of 50 draws retry without the plausible bound, %d with it; want few and nearly all", tc.declines, without, kept)
		case !tc.keep && kept > 5:
			t.Errorf("%d declines: %d of 50 draws still retry with the plausible bound; want the case given up", tc.declines, kept)
		}
		t.Logf("%d declines: %d of 50 retry without, %d with", tc.declines, without, kept)
	}
}

// The model's table of pay-schedule priors gives every country what payBase computes for it,
// countries no table names included, with and without the merchant's own paydays.
func TestPayBaseTableMatchesPayBase(t *testing.T) {
	for _, p := range []Priors{PublicPriors(), {}, {Public: true, Paydays: map[string][]string{"": {"day:25"}, "ZZ": {"weekly:fri"}, "DE": {"last_business_day"}}}} {
		m := NewModelWith(p)
		for _, c := range []string{"", "US", "GB", "DE", "FR", "JP", "BR", "ZZ", "XX", "us"} {
			if got, want := m.payBaseOf(c), p.payBase(c); !slices.Equal(got, want) {
				t.Errorf("priors %+v, country %q: table %v, payBase %v", p, c, got, want)
			}
		}
	}
}

// The pay counts PayPrior reads by index stay in step with Pay, the counts a stored model keeps:
// a model read back from its JSON after any run of outcomes gives the same priors.
func TestPayCountsByIndexFollowPay(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	m := NewModel()
	for step := range 400 {
		v := make([]byte, len(schedules))
		for i := range v {
			v[i] = evidenceChar(r.IntN(4), r.IntN(3) == 0)
		}
		country := []string{"US", "GB", "", "DE"}[r.IntN(4)]
		m.learnPay(evidencePrefix+country+":"+strconv.Itoa(r.IntN(2))+":"+string(v), r.IntN(3) == 0)
		if step%50 != 49 {
			continue
		}
		back := storedAndRead(t, m)
		for _, c := range []string{"", "US", "GB", "DE", "FR"} {
			if got, want := m.PayPrior(c), back.PayPrior(c); !slices.Equal(got, want) {
				t.Fatalf("after %d outcomes, %q: %v; read back %v", step+1, c, got, want)
			}
		}
	}
	if len(m.Pay["US"]) == 0 {
		t.Fatal("no US counts learned")
	}
}
