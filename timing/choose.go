package timing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options bound a retry-time choice.
type Options struct {
	// From is the earliest time a retry is allowed (the policy's gap after the last charge, the
	// issuer's advised wait); Until the latest (the policy's maximum duration).
	From, Until time.Time
	// Remaining is how many charges the case's budget still allows, Budget the whole budget.
	Remaining, Budget int
	// DailyDiscount is what a recovery one day later is worth relative to one now (the customer
	// may leave, the service runs unpaid): 0.97 prefers today's p=0.30 to next week's p=0.36.
	DailyDiscount float64
	// MinProbability is the least sampled success probability worth a charge: below it a
	// retry spends budget and raises the issuer's suspicion for little.
	MinProbability float64
	// FirstHour and LastHour bound the customer's local hours at which candidates are made
	// (LastHour included).
	FirstHour, LastHour int
	// Bound is the latest time a retry is placed without evidence for a later one (the fixed
	// schedule's, for a first retry; zero: none): see Model.Evidence.
	Bound time.Time
	// Plausible: a time the model cannot rule out (Model's PlausibleSD bound above the
	// minimum) is worth a charge even when neither the draw nor the expectation reaches it.
	Plausible bool
	// Keep is the priors' share of a card's later chances a retry keeps (Priors.SoonKeep); nil:
	// every retry keeps them all.
	Keep func(since time.Duration) float64
	// Lookahead: with two charges or more left, a time is worth what a charge then brings plus,
	// if it fails, what the best time at least Gap later would (each charge costing
	// MinProbability, the chance at which one is just worth making): a charge now does not
	// forgo the best later time while the budget lasts. Without it (or with one charge left)
	// each decision takes the single best time.
	Lookahead bool
	// Gap is the least time between two charges of the card (the policy's min_gap).
	Gap time.Duration
}

// Choice is a chosen retry time, with what it was chosen from.
type Choice struct {
	Retry bool      // false: no candidate in the window is worth a charge
	At    time.Time // the chosen time
	// Sampled is the success probability at At under the sampled model; Mean the model's mean
	// estimate there, and MeanFrom its mean estimate at the earliest allowed time.
	Sampled, Mean, MeanFrom float64
	Candidates              int
	Features                []string // At's features, which the outcome teaches the model
	Reason                  string
	// Evidence words why the retry is later than Options.Bound ("" when it is not).
	Evidence string
}

// Candidates returns the times considered for a retry in [o.From, o.Until]: From itself, then
// every full hour of the customer's local day between FirstHour and LastHour. Local hours are
// made with the zone's rules, so a DST change neither skips nor doubles a day.
func Candidates(c Case, o Options) []time.Time {
	var out []time.Time
	eachCandidate(c, o, func(t time.Time, _, _ int) { out = append(out, t) })
	return out
}

// eachCandidate calls fn with each of Candidates(c, o), in order, each in the customer's zone,
// with its local date's number (From's date is 0) and its local hour.
func eachCandidate(c Case, o Options, fn func(t time.Time, day, hour int)) {
	loc := c.loc()
	l := o.From.In(loc)
	fn(l, 0, l.Hour())
	y, m, d := l.Date()
	next := time.Date(y, m, d, 0, 0, 0, 0, loc)
	for n := 0; ; n++ {
		day := next
		if day.After(o.Until) {
			return
		}
		next = time.Date(y, m, d+n+1, 0, 0, 0, 0, loc)
		// On a day of 24 hours the zone's offset does not change: its hours are plain additions.
		plain := next.Sub(day) == 24*time.Hour
		for h := o.FirstHour; h <= o.LastHour; h++ {
			var t time.Time
			if plain {
				t = day.Add(time.Duration(h) * time.Hour)
			} else if t = time.Date(y, m, d+n, h, 0, 0, 0, loc); t.Hour() != h {
				continue // an hour the DST change skipped
			}
			if !t.After(o.From) || t.After(o.Until) {
				continue
			}
			fn(t, n, h)
		}
	}
}

// Choose picks when to retry: the candidate with the highest sampled success probability,
// discounted by the days it waits, among those whose sampled probability reaches
// MinProbability. rng drives the sampling; the same seed gives the same choice.
func Choose(m *Model, rng *rand.Rand, c Case, o Options) Choice {
	return bounded(m, rng, c, o, choose(m, m.Sampler(rng), c, o))
}

// score is the sampled and the expected part of a candidate's score that some of its features
// make up.
type score struct {
	sampled float64
	mean    parts
}

func (a score) add(b score) score { return score{a.sampled + b.sampled, a.mean.add(b.mean)} }

// scoreOf is the score of features fs: each looked up and drawn once per decision.
func scoreOf(s *Sampler, fs []string) score {
	var sc score
	for _, f := range fs {
		sc = sc.add(s.score(f))
	}
	return sc
}

// score is the score of one feature.
func (s *Sampler) score(f string) score {
	d := s.get(f)
	return score{d.draw, parts{d.w.Mean, d.w.Var}}
}

func choose(m *Model, s *Sampler, c Case, o Options) Choice {
	// A candidate's score is the sum of its static, day and moment features' weights, sampled
	// (to choose) and expected (to judge whether any time is worth a charge): the static part
	// is scored once, the day part once per local date, each moment feature once.
	static := scoreOf(s, staticFeatures(nil, c))
	moments := newMoments(m, s, c)
	pb := c.payBelief(o.Until)
	buf := make([]string, 0, 64) // a day has up to 58 features (the days of the month and week since the last charge)
	var (
		n, dayKey int
		day       score
		best      time.Time
		bestU     = -1.0
		bestP     float64
		// The highest sampled score of a candidate found worth a charge so far: candidates
		// come in time order and the discount never rises, so a later one scoring no higher
		// cannot be worth more.
		bestScore = math.Inf(-1)
	)
	logDiscount := math.Log(o.DailyDiscount)
	// With a lookahead every candidate worth a charge is kept: the best pair, not the best
	// single time, is chosen after.
	ahead := o.Lookahead && o.Remaining >= 2
	var worth []worthy
	eachCandidate(c, o, func(t time.Time, dayNo, hour int) {
		n++
		if n == 1 || dayNo != dayKey {
			dayKey, day = dayNo, scoreOf(s, dayFeatures(buf[:0], c, t, pb))
		}
		sc := static.add(day).add(moments.at(c, t, hour))
		if !ahead && sc.sampled <= bestScore {
			return
		}
		p := phi(sc.sampled / m.Beta)
		// Worth a charge if the draw says so (exploring), the model's expectation does, or the
		// model cannot yet rule it out: one low draw of the weights a case's candidates share,
		// or a run of declines the model has not yet weighed against much, must not give up on
		// the case for good.
		if p < o.MinProbability && sc.mean.p(m.Beta) < o.MinProbability && (!o.Plausible || sc.mean.plausible(m.Beta) < o.MinProbability) {
			return
		}
		u := p * math.Exp(logDiscount*t.Sub(o.From).Hours()/24)
		if o.Keep != nil && !c.LastAttempt.IsZero() {
			u *= o.Keep(t.Sub(c.LastAttempt))
		}
		if ahead {
			worth = append(worth, worthy{t, p, u})
			return
		}
		bestScore = sc.sampled
		if u > bestU {
			best, bestU, bestP = t, u, p
		}
	})
	var aheadWords string
	if ahead && len(worth) > 0 {
		var top worthy
		best, bestU, bestP, top = lookahead(worth, o)
		if top.t.After(best) {
			aheadWords = fmt.Sprintf("; before the likeliest time (%s, sampled %.2f): %d charges left reach it if this one fails",
				top.t.In(c.loc()).Format("Mon 2 Jan 15:04"), top.p, o.Remaining-1)
		}
	}
	ch := Choice{Candidates: n, MeanFrom: m.Predict(Features(c, o.From))}
	if bestU < 0 {
		ch.Reason = fmt.Sprintf("%s: no time until %s is worth a charge (model p=%.2f now, under %.2f)",
			orNone(c.Code), o.Until.In(c.loc()).Format("Mon 2 Jan"), ch.MeanFrom, o.MinProbability)
		return ch
	}
	ch.Retry, ch.At, ch.Sampled = true, best, bestP
	ch.Features = features(c, ch.At, pb)
	ch.Mean = m.Predict(ch.Features)
	ch.Reason = fmt.Sprintf("%s; %s; p=%.2f (sampled %.2f) vs %.2f at the earliest; budget %d of %d left%s",
		orNone(c.Code), ch.At.In(c.loc()).Format("Mon 2 Jan 15:04 MST"), ch.Mean, ch.Sampled, ch.MeanFrom,
		o.Remaining, o.Budget, m.signals(ch.Features))
	ch.Reason += aheadWords
	if pb != nil {
		ch.Reason += pb.reason(ch.At.In(c.loc())) + c.Past.reason(c.loc())
	}
	return ch
}

// signals names the timing features that most favour the chosen time, for the reason.
func (m *Model) signals(fs []string) string {
	type sig struct {
		f string
		w float64
	}
	var sigs []sig
	for _, f := range fs {
		if !strings.Contains(f, "|") {
			continue
		}
		if w := m.Weight(f); w.N > 0 && w.Mean > 0 {
			sigs = append(sigs, sig{f, w.Mean})
		}
	}
	if len(sigs) == 0 {
		return ""
	}
	slices.SortFunc(sigs, func(a, b sig) int {
		if a.w > b.w {
			return -1
		}
		if a.w < b.w {
			return 1
		}
		return strings.Compare(a.f, b.f)
	})
	parts := make([]string, 0, 3)
	for _, s := range sigs[:min(3, len(sigs))] {
		parts = append(parts, fmt.Sprintf("%s %+.2f", s.f[strings.Index(s.f, "|")+1:], s.w))
	}
	return "; favoured by " + strings.Join(parts, ", ")
}

// moments scores the moment features of one decision's candidates (timeFeatures: the hour and
// the time since the failure, the last charge and the last message), each feature once: a
// decision scores hundreds of candidates that share a few dozen of them.
type moments struct {
	m                      *Model
	s                      *Sampler
	g                      string
	hour                   [24]*score
	failure, last, message []*score
}

func newMoments(m *Model, s *Sampler, c Case) *moments {
	return &moments{m: m, s: s, g: group(c.Category), failure: make([]*score, len(failureBuckets.list)+1),
		last: make([]*score, len(lastBuckets.list)+1), message: make([]*score, len(lastBuckets.list)+2)}
}

// at is the score of timeFeatures(c, t, hour), hour being t's in the customer's zone.
func (ms *moments) at(c Case, t time.Time, hour int) score {
	sc := ms.one(&ms.hour[hour], "hour", strconv.Itoa(hour))
	i := bucketIndex(t.Sub(c.FirstFailed), failureBuckets)
	sc = sc.add(ms.one(&ms.failure[i], "since_failure", failureBuckets.name(i)))
	if !c.LastAttempt.IsZero() {
		i := bucketIndex(t.Sub(c.LastAttempt), lastBuckets)
		sc = sc.add(ms.one(&ms.last[i], "since_last", lastBuckets.name(i)))
	}
	if c.LastMessage.IsZero() || c.LastMessage.After(t) {
		none := len(ms.message) - 1
		return sc.add(ms.one(&ms.message[none], "since_message", "none"))
	}
	i = bucketIndex(t.Sub(c.LastMessage), lastBuckets)
	return sc.add(ms.one(&ms.message[i], "since_message", lastBuckets.name(i)))
}

// one is the score of the feature kind:value, from the cache slot p.
func (ms *moments) one(p **score, kind, value string) score {
	if *p == nil {
		f := ms.g + "|" + kind + ":" + value
		sc := ms.s.score(f)
		*p = &sc
	}
	return **p
}

// worthy is a candidate worth a charge: its time, sampled probability and discounted value.
type worthy struct {
	t    time.Time
	p, u float64
}

// lookahead picks, among candidates ws (in time order), the time whose charge is worth most
// counting the best charge that could follow it: u(t) − c + (1 − p(t))·max(0, u(t') − c) for the
// best t' at least o.Gap after t, each charge costing c = o.MinProbability. It returns the time,
// its discounted value and its probability, and the candidate of the highest value alone.
func lookahead(ws []worthy, o Options) (time.Time, float64, float64, worthy) {
	c := o.MinProbability
	// after[i] is the best value of a candidate at least Gap after ws[i].
	after := make([]float64, len(ws)+1)
	suffix := make([]float64, len(ws)+1)
	for i := len(ws) - 1; i >= 0; i-- {
		suffix[i] = max(suffix[i+1], ws[i].u)
	}
	j := 0
	for i := range ws {
		for j < len(ws) && ws[j].t.Sub(ws[i].t) < max(o.Gap, time.Nanosecond) {
			j++
		}
		after[i] = suffix[j]
	}
	bi, bw, top := 0, math.Inf(-1), ws[0]
	for i, w := range ws {
		if v := w.u - c + (1-w.p)*max(0, after[i]-c); v > bw {
			bi, bw = i, v
		}
		if w.u > top.u {
			top = w
		}
	}
	return ws[bi].t, ws[bi].u, ws[bi].p, top
}
