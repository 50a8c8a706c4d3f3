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
}

// Candidates returns the times considered for a retry in [o.From, o.Until]: From itself, then
// every full hour of the customer's local day between FirstHour and LastHour. Local hours are
// made with the zone's rules, so a DST change neither skips nor doubles a day.
func Candidates(c Case, o Options) []time.Time {
	loc := c.Loc
	if loc == nil {
		loc = time.UTC
	}
	out := []time.Time{o.From}
	l := o.From.In(loc)
	for day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc); !day.After(o.Until); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		for h := o.FirstHour; h <= o.LastHour; h++ {
			t := time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, loc)
			if t.Hour() != h || !t.After(o.From) || t.After(o.Until) {
				continue // an hour the DST change skipped, or outside the window
			}
			out = append(out, t)
		}
	}
	return out
}

// Choose picks when to retry: the candidate with the highest sampled success probability,
// discounted by the days it waits, among those whose sampled probability reaches
// MinProbability. rng drives the sampling; the same seed gives the same choice.
func Choose(m *Model, rng *rand.Rand, c Case, o Options) Choice {
	return choose(m, m.Sampler(rng), c, o)
}

func choose(m *Model, s *Sampler, c Case, o Options) Choice {
	cands := Candidates(c, o)
	best, bestU := -1, -1.0
	var bestP float64
	// A candidate's score is the sum of its static, day and moment features' weights, sampled
	// (to choose) and expected (to judge whether any time is worth a charge): the static part
	// is scored once, the day part once per local date.
	static := s.sum(staticFeatures(nil, c))
	staticMean := m.parts(staticFeatures(nil, c))
	type dayScore struct {
		sampled float64
		mean    parts
	}
	days := map[time.Time]dayScore{}
	buf := make([]string, 0, 16)
	var moment [4]string
	names := timeNames{g: group(c.Category), byKey: map[timeKey]string{}}
	loc := c.loc()
	for i, t := range cands {
		l := t.In(loc)
		date := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
		day, ok := days[date]
		if !ok {
			fs := dayFeatures(buf[:0], c, l)
			day = dayScore{s.sum(fs), m.parts(fs)}
			days[date] = day
		}
		fs := names.features(&moment, c, t, l.Hour())
		p := phi((static + day.sampled + s.sum(fs)) / m.Beta)
		// Worth a charge if the draw says so (exploring) or the model's expectation does: one
		// low draw of the weights a case's candidates share must not give up on the case.
		if p < o.MinProbability && staticMean.add(day.mean).add(m.parts(fs)).p(m.Beta) < o.MinProbability {
			continue
		}
		u := p * math.Pow(o.DailyDiscount, t.Sub(o.From).Hours()/24)
		if u > bestU {
			best, bestU, bestP = i, u, p
		}
	}
	ch := Choice{Candidates: len(cands), MeanFrom: m.Predict(Features(c, o.From))}
	if best < 0 {
		ch.Reason = fmt.Sprintf("%s: no time until %s is worth a charge (model p=%.2f now, under %.2f)",
			orNone(c.Code), o.Until.In(c.Loc).Format("Mon 2 Jan"), ch.MeanFrom, o.MinProbability)
		return ch
	}
	ch.Retry, ch.At, ch.Sampled = true, cands[best], bestP
	ch.Features = Features(c, ch.At)
	ch.Mean = m.Predict(ch.Features)
	ch.Reason = fmt.Sprintf("%s; %s; p=%.2f (sampled %.2f) vs %.2f at the earliest; budget %d of %d left%s",
		orNone(c.Code), ch.At.In(c.Loc).Format("Mon 2 Jan 15:04 MST"), ch.Mean, ch.Sampled, ch.MeanFrom,
		o.Remaining, o.Budget, m.signals(ch.Features))
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

// timeNames builds the moment features' names of one decision once each: a decision scores
// hundreds of candidates that share a few dozen names.
type timeNames struct {
	g     string
	byKey map[timeKey]string
}

type timeKey struct {
	kind   string // a constant: hour, since_failure, since_last, since_message
	bucket string // a constant bucket name, or the hour
	hour   int
}

func (n *timeNames) name(kind, bucket string, hour int) string {
	k := timeKey{kind, bucket, hour}
	f, ok := n.byKey[k]
	if !ok {
		if kind == "hour" {
			bucket = strconv.Itoa(hour)
		}
		f = n.g + "|" + kind + ":" + bucket
		n.byKey[k] = f
	}
	return f
}

// features are timeFeatures(c, t, hour) with cached names, in buf.
func (n *timeNames) features(buf *[4]string, c Case, t time.Time, hour int) []string {
	fs := append(buf[:0], n.name("hour", "", hour), n.name("since_failure", sinceBucket(t.Sub(c.FirstFailed), failureBuckets), 0))
	if !c.LastAttempt.IsZero() {
		fs = append(fs, n.name("since_last", sinceBucket(t.Sub(c.LastAttempt), lastBuckets), 0))
	}
	if c.LastMessage.IsZero() || c.LastMessage.After(t) {
		return append(fs, n.name("since_message", "none", 0))
	}
	return append(fs, n.name("since_message", sinceBucket(t.Sub(c.LastMessage), lastBuckets), 0))
}
