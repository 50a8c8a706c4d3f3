package timing

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/recoup-hq/recoup"
)

// Model is a Bayesian probit regression over binary features with a Gaussian belief about each
// feature's weight, updated online by assumed-density filtering (the "AdPredictor" model of
// Graepel et al., ICML 2010). The probability that a retry with active features F succeeds is
// Φ(Σ_{f∈F} μ_f / sqrt(β² + Σ_{f∈F} σ²_f)). Every outcome moves the means of the active
// features toward what was seen and shrinks their variances, so the model converges to the
// observed rates and says how sure it is. A feature never seen keeps its prior.
//
// Thompson sampling draws one weight per feature from its belief and scores candidates with the
// drawn weights: uncertain features get tried, known-bad ones stop being tried, with no
// exploration constant to tune.
type Model struct {
	// Beta is the noise of one outcome around the model's score.
	Beta float64 `json:"beta"`
	// PriorVar is the variance of an unseen feature's weight.
	PriorVar float64 `json:"prior_var"`
	// Updates counts the outcomes learned from.
	Updates int64             `json:"updates"`
	Weights map[string]Weight `json:"weights"`
	// Pay holds, by country ("" for all countries), each pay schedule's share of the funds
	// cases seen so far, by their belief after their latest charge (learnPay); PayPrior is made
	// from it.
	Pay map[string]map[string]float64 `json:"pay,omitempty"`
	// PriorsKey names the priors the model was folded from (Priors.Key).
	PriorsKey string `json:"priors,omitempty"`
	priors    Priors
	// payVecs mirrors Pay by country, each schedule's count at its index (payVec): PayPrior
	// and learnPay read it for every funds decision and outcome instead of Pay's maps.
	payVecs map[string][]float64
	// bases is priors.payBase by country, for every country either table names and "" (which
	// every other country's is): PayPrior reads it for every funds decision.
	bases map[string][]float64
}

// Weight is the belief about one feature's weight: a normal distribution.
type Weight struct {
	Mean float64 `json:"m"`
	Var  float64 `json:"v"`
	// N counts the outcomes this feature took part in.
	N int64 `json:"n"`
}

// priorRates are the retry success rates the model starts from, per category, before it has
// seen an outcome: rough public figures (technical failures mostly clear; funds and issuer
// declines pass now and then; the rest almost never on the same card). Timing features start
// neutral: what paydays and hours do is learned, not assumed.
var priorRates = map[recoup.Category]float64{
	recoup.CategoryTechnical: 0.5, recoup.CategoryFunds: 0.1, recoup.CategoryIssuerSoft: 0.1,
	recoup.CategoryCustomerFix: 0.02, recoup.CategoryAuthentication: 0.02, recoup.CategoryHard: 0.01, recoup.CategoryUnknown: 0.05,
}

// typicalActive is about how many features a retry has: it sets the scale of the priors so that
// an unseen case predicts its category's prior rate.
const typicalActive = 24

// NewModel returns a model that knows only the public priors.
func NewModel() *Model { return NewModelWith(PublicPriors()) }

// NewModelWith returns a model that knows only priors p.
func NewModelWith(p Priors) *Model {
	return &Model{Beta: 1, PriorVar: 0.05, Weights: map[string]Weight{}, PriorsKey: p.Key(), priors: p, bases: p.payBases()}
}

// Priors returns the priors the model starts from.
func (m *Model) Priors() Priors { return m.priors }

// scale is the spread of the score of a typical retry: a prior shift of x in probit is a shift
// of x·scale in the weights.
func (m *Model) scale() float64 { return math.Sqrt(m.Beta*m.Beta + typicalActive*m.PriorVar) }

// prior is the belief about a feature never updated.
func (m *Model) prior(f string) Weight {
	if c, ok := strings.CutPrefix(f, "cat:"); ok {
		rate, known := priorRates[recoup.Category(c)]
		if !known {
			rate = priorRates[recoup.CategoryUnknown]
		}
		return Weight{Mean: probit(rate) * m.scale(), Var: m.PriorVar}
	}
	if mean, ok := m.priors.featurePrior(f, m.scale()); ok {
		return Weight{Mean: mean, Var: m.PriorVar}
	}
	if strings.Contains(f, "|new_") {
		// Many are active at once: each starts less uncertain, so that together they do not
		// drown the rest.
		return Weight{Var: m.PriorVar / 10}
	}
	return Weight{Var: m.PriorVar}
}

// Weight returns the current belief about feature f.
func (m *Model) Weight(f string) Weight {
	if w, ok := m.Weights[f]; ok {
		return w
	}
	return m.prior(f)
}

// parts are the sums of the means and variances of some features' weights: the parts of
// disjoint feature sets add up to the whole set's.
type parts struct{ mean, variance float64 }

func (m *Model) parts(fs []string) parts {
	var p parts
	for _, f := range fs {
		w := m.Weight(f)
		p.mean += w.Mean
		p.variance += w.Var
	}
	return p
}

func (p parts) add(q parts) parts { return parts{p.mean + q.mean, p.variance + q.variance} }

// p is the mean estimate of the success probability of the features summed in p.
func (p parts) p(beta float64) float64 { return phi(p.z(beta)) }

// z is p's expected success probability on phi's scale: p(beta) = phi(z(beta)).
func (p parts) z(beta float64) float64 { return p.mean / math.Sqrt(beta*beta+p.variance) }

// plausible is the success probability the features summed in p still plausibly have: their
// summed weight taken PlausibleSD standard deviations above its mean.
func (p parts) plausible(beta float64) float64 { return phi(p.zPlausible(beta)) }

// zPlausible is plausible on phi's scale.
func (p parts) zPlausible(beta float64) float64 {
	return (p.mean + PlausibleSD*math.Sqrt(p.variance)) / math.Sqrt(beta*beta+p.variance)
}

// threshold tells whether phi(z) is under a probability q without evaluating phi where z is
// clearly to one side of probit(q): a decision asks it of hundreds of candidates, most of them
// far from it. Near probit(q) it evaluates phi, so the answer is phi(z) < q exactly (phi's
// slope there is far above its rounding error over the margin).
type threshold struct{ q, lo, hi float64 }

func newThreshold(q float64) threshold {
	if !(q > 0 && q < 1) {
		return threshold{q, math.Inf(-1), math.Inf(1)}
	}
	z := probit(q)
	return threshold{q, z - 1e-9, z + 1e-9}
}

// under reports whether phi(z) < q.
func (t threshold) under(z float64) bool {
	switch {
	case z < t.lo:
		return true
	case z > t.hi:
		return false
	}
	return phi(z) < t.q
}

// PlausibleSD is how many standard deviations above its mean a time's summed weight may be for
// the model not to rule the time out (a one-sided 97.7% bound): giving up a case is for good,
// so a time the model cannot yet rule out stays worth a charge.
const PlausibleSD = 2.0

// Predict returns the model's mean estimate of the success probability of a retry with
// features fs.
func (m *Model) Predict(fs []string) float64 { return m.parts(fs).p(m.Beta) }

// Update learns from one outcome of a retry with features fs. Pay-schedule evidence among them
// (PayEvidence) teaches the schedules' prior instead of the weights.
func (m *Model) Update(fs []string, success bool) {
	if i := slices.IndexFunc(fs, isEvidence); i >= 0 {
		m.learnPay(fs[i], success)
		fs = slices.DeleteFunc(slices.Clone(fs), isEvidence)
	}
	y := -1.0
	if success {
		y = 1
	}
	ws := make([]Weight, len(fs))
	mean, variance := 0.0, m.Beta*m.Beta
	for i, f := range fs {
		ws[i] = m.Weight(f)
		mean += ws[i].Mean
		variance += ws[i].Var
	}
	sd := math.Sqrt(variance)
	t := y * mean / sd
	v := normPDF(t) / math.Max(phi(t), 1e-300)
	w := v * (v + t)
	for i, f := range fs {
		x := ws[i]
		x.Mean += y * x.Var / sd * v
		x.Var *= math.Max(1-x.Var/variance*w, 1e-6)
		x.N++
		m.Weights[f] = x
	}
	m.Updates++
}

func isEvidence(f string) bool { return strings.HasPrefix(f, evidencePrefix) }

// Sampler scores candidates with one draw of weights from the model's beliefs. Draws are made
// lazily and kept, so every candidate of one decision is scored by the same sampled model.
type Sampler struct {
	m     *Model
	rng   *rand.Rand
	drawn map[string]drawn
	// spread scales each draw's distance from its weight's mean: 1 samples the posterior itself
	// (Thompson sampling), 0 takes the mean (Options.Narrow).
	spread float64
	// keepAll keeps the draws of a decision's moment and day features in drawn too, for a test
	// to score a choice's features with them (Sampler.P in candidates_test.go).
	keepAll bool
}

// drawn is a feature's belief and the weight drawn from it.
type drawn struct {
	w    Weight
	draw float64
}

// Sampler returns a Thompson sampler over the model driven by rng.
func (m *Model) Sampler(rng *rand.Rand) *Sampler {
	// A decision draws its static features by name, 7 to 9 (its moment and day features by
	// number: moments and daySampler).
	return &Sampler{m: m, rng: rng, drawn: make(map[string]drawn, 16), spread: 1}
}

// narrowed returns s drawing at 1 − narrow of the posterior's standard deviation (Options.Narrow).
func (s *Sampler) narrowed(narrow float64) *Sampler {
	s.spread = 1 - min(max(narrow, 0), 1)
	return s
}

// get returns feature f's belief and sampled weight, drawing it the first time.
func (s *Sampler) get(f string) drawn {
	d, ok := s.drawn[f]
	if !ok {
		d = s.draw(f)
		s.drawn[f] = d
	}
	return d
}

// drawScore is the score of feature f, drawn now (not kept: see moments and daySampler).
func (s *Sampler) drawScore(f string) score {
	d := s.draw(f)
	if s.keepAll {
		s.drawn[f] = d
	}
	return score{d.draw, parts{d.w.Mean, d.w.Var}}
}

// draw draws feature f's weight from the model's belief.
func (s *Sampler) draw(f string) drawn {
	w := s.m.Weight(f)
	return drawn{w, w.Mean + s.spread*math.Sqrt(w.Var)*s.rng.NormFloat64()}
}

// Marshal encodes the model for the store.
func (m *Model) Marshal() ([]byte, error) { return json.Marshal(m) }

// UnmarshalModel decodes a stored model folded from the public priors.
func UnmarshalModel(b []byte) (*Model, error) { return UnmarshalModelWith(b, PublicPriors()) }

// UnmarshalModelWith decodes a stored model whose unseen features have priors p. The stored
// PriorsKey says which priors it was folded from: a caller with other priors folds again.
func UnmarshalModelWith(b []byte, p Priors) (*Model, error) {
	m := NewModelWith(p)
	m.PriorsKey = ""
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("decode timing model: %w", err)
	}
	if m.Weights == nil {
		m.Weights = map[string]Weight{}
	}
	if m.Beta <= 0 || m.PriorVar <= 0 {
		return nil, fmt.Errorf("decode timing model: beta %v and prior variance %v must be positive", m.Beta, m.PriorVar)
	}
	return m, nil
}

// Learned lists the features the model has learned about, most observed first, for display.
func (m *Model) Learned() []string {
	fs := make([]string, 0, len(m.Weights))
	for f := range m.Weights {
		fs = append(fs, f)
	}
	slices.SortFunc(fs, func(a, b string) int {
		if d := m.Weights[b].N - m.Weights[a].N; d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	return fs
}

func phi(x float64) float64     { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
func probit(p float64) float64  { return -math.Sqrt2 * math.Erfcinv(2*p) }
