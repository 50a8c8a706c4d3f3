package timing

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// PayEvidence is what a charge of c at t, a success or not, says about the customer's pay
// schedule, for Model.Update to learn the country's schedules from: one feature naming the
// country, whether the case had been charged since the failure, and for each schedule how many
// of its cycles earlier charges tried and whether its money should be there at t. Nil for a
// case that does not wait for money.
func PayEvidence(c Case, t time.Time) []string {
	pb := c.payBelief(t)
	if pb == nil {
		return nil
	}
	return []string{pb.evidence(c, t)}
}

// Observed is what the outcome of a charge of c at t teaches the model: the charge's features
// and, for a case that waits for money, its pay evidence, from one belief.
func Observed(c Case, t time.Time) []string {
	pb := c.payBelief(t)
	fs := features(c, t, pb)
	if pb != nil {
		fs = append(fs, pb.evidence(c, t))
	}
	return fs
}

func (b *payBelief) evidence(c Case, t time.Time) string {
	open := b.openOn(dayNumber(t.In(c.loc())))
	v := make([]byte, len(schedules))
	for i := range schedules {
		v[i] = evidenceChar(int(b.tried[i]), open&(1<<i) != 0)
	}
	again := "0"
	if b.charged {
		again = "1"
	}
	return evidencePrefix + c.Country + ":" + again + ":" + string(v)
}

// evidencePrefix marks an observation's feature that is pay-schedule evidence, not a weight.
const evidencePrefix = "pay@"

// maxTried caps the tried cycles evidence counts: (1-payFunded)^9 is as good as none left.
const maxTried = 9

func evidenceChar(tried int, open bool) byte {
	return '0' + byte(min(tried, maxTried)*2+b2i(open))
}

// Pay-schedule priors: pseudo-counts spread evenly over the schedules for the prior shared by
// all countries, and pseudo-counts of that shared prior for each country's.
const (
	paySharedPseudo  = 20
	payCountryPseudo = 20
)

// PayPrior returns the weights of the pay schedules for a customer of country (by index in
// schedules), learned from the outcomes of charges (learnPay): the counts of all countries shrunk
// toward the country's prior (Priors: public tables, the merchant's paydays), the country's own
// counts shrunk toward that.
func (m *Model) PayPrior(country string) []float64 {
	out := make([]float64, len(schedules))
	shared, local := m.payVec("", false), m.payVec(country, false)
	// Summed in the schedules' order, not the maps': a float sum's last bits depend on its order,
	// and a replay must decide alike.
	n, nc := 0.0, 0.0
	for i := range scheduleNames {
		n += shared[i]
		if country != "" {
			nc += local[i]
		}
	}
	base := m.payBaseOf(country)
	for i := range scheduleNames {
		g := (shared[i] + paySharedPseudo*base[i]) / (n + paySharedPseudo)
		out[i] = g
		if country != "" {
			out[i] = (local[i] + payCountryPseudo*g) / (nc + payCountryPseudo)
		}
	}
	return out
}

// noCounts are the counts of a country Pay has none for (made with the schedules).
var noCounts []float64

// payVec is Pay[country] by schedule index (0 where Pay has no count), made from Pay the first
// time and kept in step by learnPay; with create, Pay[country] is made if missing.
func (m *Model) payVec(country string, create bool) []float64 {
	if v, ok := m.payVecs[country]; ok {
		return v
	}
	counts := m.Pay[country]
	if counts == nil && !create {
		return noCounts
	}
	if counts == nil {
		if m.Pay == nil {
			m.Pay = map[string]map[string]float64{}
		}
		m.Pay[country] = map[string]float64{}
	}
	v := make([]float64, len(schedules))
	for i, name := range scheduleNames {
		v[i] = counts[name]
	}
	if m.payVecs == nil {
		m.payVecs = map[string][]float64{}
	}
	m.payVecs[country] = v
	return v
}

// learnPay folds one charge's pay evidence into the schedules' counts. Each case counts once,
// as its current belief over the schedules (the country's prior times the likelihood of its
// outcomes so far): a charge replaces the belief its case had before it with the belief after
// it. This is expectation-maximisation done online: the counts move toward the schedules that
// explain both the charges that passed and those that did not.
func (m *Model) learnPay(evidence string, success bool) {
	rest := strings.TrimPrefix(evidence, evidencePrefix)
	country, rest, ok1 := strings.Cut(rest, ":")
	again, v, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || len(v) != len(schedules) {
		return // from another version of the schedules: ignored
	}
	prior := m.PayPrior(country)
	before, after := make([]float64, len(v)), make([]float64, len(v))
	var sumBefore, sumAfter float64
	for i := range v {
		x := int(v[i] - '0')
		if x < 0 || x > maxTried*2+1 {
			return
		}
		tried, open := x/2, x%2 == 1
		before[i] = prior[i] * math.Pow(1-payFunded, float64(tried))
		lik := 1.0
		switch {
		case success && open:
			lik = payFunded
		case success:
			lik = 0
		case open:
			lik = 1 - payFunded
		}
		after[i] = before[i] * lik
		sumBefore += before[i]
		sumAfter += after[i]
	}
	keys := []string{""}
	if country != "" {
		keys = append(keys, country)
	}
	for _, key := range keys {
		vec := m.payVec(key, true)
		counts := m.Pay[key]
		for i, name := range scheduleNames {
			d := 0.0
			if sumAfter > 0 {
				d += after[i] / sumAfter
			}
			if again == "1" && sumBefore > 0 {
				d -= before[i] / sumBefore
			}
			if d != 0 {
				vec[i] = max(vec[i]+d, 0)
				counts[name] = vec[i]
			}
		}
	}
}

// ScheduleWeight is a pay schedule and its weight in a country's prior.
type ScheduleWeight struct {
	Schedule string
	Weight   float64
}

// PayCountries lists the countries the model has pay evidence for, with how many cases' worth:
// all countries together first (""), then the most evidence first.
func (m *Model) PayCountries() ([]string, []float64) {
	var out []string
	for c := range m.Pay {
		out = append(out, c)
	}
	total := func(c string) float64 {
		n := 0.0
		for _, v := range m.Pay[c] {
			n += v
		}
		return n
	}
	slices.SortFunc(out, func(a, b string) int {
		if a == "" || b == "" {
			return strings.Compare(a, b)
		}
		if d := total(b) - total(a); d != 0 {
			return int(math.Copysign(1, d))
		}
		return strings.Compare(a, b)
	})
	n := make([]float64, len(out))
	for i, c := range out {
		n[i] = total(c)
	}
	return out, n
}

// TopSchedules returns the n schedules of highest weight in country's prior, highest first.
func (m *Model) TopSchedules(country string, n int) []ScheduleWeight {
	prior := m.PayPrior(country)
	out := make([]ScheduleWeight, len(prior))
	for i, w := range prior {
		out[i] = ScheduleWeight{scheduleNames[i], w}
	}
	slices.SortStableFunc(out, func(a, b ScheduleWeight) int { return cmp.Compare(b.Weight, a.Weight) })
	return out[:min(n, len(out))]
}
