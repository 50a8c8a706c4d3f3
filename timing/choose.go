package timing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// Narrow is how much narrower than the model's posterior the weights are drawn: 0 (the zero
	// value) samples the posterior itself (Thompson sampling), 0.5 draws each weight at half its
	// standard deviation from its mean, 1 takes the means (no exploration but Plausible's).
	Narrow float64
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

// candidate is a time considered for a retry: its instant in Unix nanoseconds, its local date's number
// (From's date is 0) and its local hour. Its time is made only when asked for (at): a decision
// looks at hundreds of candidates and keeps one.
type candidate struct {
	ns        int64
	day, hour int
	t         time.Time
	made      bool
	loc       *time.Location
}

// at returns the candidate's time, in the customer's zone.
func (k *candidate) at() time.Time {
	if !k.made {
		k.t, k.made = time.Unix(0, k.ns).In(k.loc), true
	}
	return k.t
}

// eachCandidate calls fn with each time considered for a retry in [o.From, o.Until], in order:
// From itself, then every full hour of the customer's local day between FirstHour and LastHour.
// Local hours are made with the zone's rules, so a DST change neither skips nor doubles a day.
func eachCandidate(c Case, o Options, fn func(k *candidate)) {
	loc := c.loc()
	l := o.From.In(loc)
	k := &candidate{ns: l.UnixNano(), hour: l.Hour(), t: l, made: true, loc: loc}
	fn(k)
	fromNS, untilNS := o.From.UnixNano(), o.Until.UnixNano()
	y, m, d := l.Date()
	next := time.Date(y, m, d, 0, 0, 0, 0, loc)
	for n := 0; ; n++ {
		day := next
		if day.After(o.Until) {
			return
		}
		dayNS := day.UnixNano()
		next = time.Date(y, m, d+n+1, 0, 0, 0, 0, loc)
		// On a day of 24 hours the zone's offset does not change: its hours are plain additions.
		plain := next.Sub(day) == 24*time.Hour
		for h := o.FirstHour; h <= o.LastHour; h++ {
			k.day, k.hour, k.made = n, h, false
			if plain {
				k.ns = dayNS + int64(h)*int64(time.Hour)
			} else if k.t = time.Date(y, m, d+n, h, 0, 0, 0, loc); k.t.Hour() != h {
				continue // an hour the DST change skipped
			} else {
				k.ns, k.made = k.t.UnixNano(), true
			}
			if k.ns <= fromNS || k.ns > untilNS {
				continue
			}
			fn(k)
		}
	}
}

// Choose picks when to retry: the candidate with the highest sampled success probability,
// discounted by the days it waits, among those whose sampled probability reaches
// MinProbability. rng drives the sampling; the same seed gives the same choice.
func Choose(m *Model, rng *rand.Rand, c Case, o Options) Choice {
	return bounded(m, rng, c, o, choose(m, m.Sampler(rng).narrowed(o.Narrow), c, o))
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

// daySampler is a Sampler's draws of one category group's day features, kept by their number
// in the group's table: a decision scores every day of its window, each with up to 58 features
// (the days of the month and week since the last charge), most of them the same from day to day.
type daySampler struct {
	s     *Sampler
	slots []slot
}

// at is scoreOf(s, dayFeatures(c, l, pb)): the same features, drawn in the same order.
func (ds *daySampler) at(c Case, l time.Time, pb *payBelief) score {
	var sc score
	eachDayFeature(c, l, pb, func(f *feat) {
		p := &ds.slots[f.id]
		if !p.drawn {
			p.sc, p.drawn = ds.s.drawScore(f.name), true
		}
		sc = sc.add(p.sc)
	})
	return sc
}

// scratch is what one decision keeps of its draws and candidates, reused from decision to
// decision.
type scratch struct {
	moments moments
	days    daySampler
	worth   []worthy     // the candidates worth a charge, for the lookahead
	suffix  []float64    // the lookahead's best values from each candidate on
	bounds  [][4]float64 // the lookahead's bounds on each candidate's p and u
	values  []float64    // the lookahead's highest value of each candidate
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// newScratch returns a scratch for a decision on case c drawing from s, nothing drawn yet.
func newScratch(s *Sampler, c Case) *scratch {
	sc := scratches.Get().(*scratch)
	sc.moments = moments{s: s, names: momentNamesTable[group(c.Category)]}
	n := dayNamesOf(c.Category).n
	sc.days.s = s
	if cap(sc.days.slots) < n {
		sc.days.slots = make([]slot, n)
	}
	sc.days.slots = sc.days.slots[:n]
	clear(sc.days.slots)
	return sc
}

// release returns the scratch to the pool, holding on to no sampler (nor its model).
func (sc *scratch) release() {
	sc.moments.s, sc.days.s = nil, nil
	scratches.Put(sc)
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
	staticNames := staticFeatures(make([]string, 0, 8), c)
	static := scoreOf(s, staticNames)
	scr := newScratch(s, c)
	defer scr.release()
	moments, days := &scr.moments, &scr.days
	pb := c.payBelief(o.Until)
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
	disc := newDiscount(o.DailyDiscount)
	worthless := newThreshold(o.MinProbability)
	fromNS := o.From.UnixNano()
	moments.since(c)
	// With a lookahead every candidate worth a charge is kept: the best pair, not the best
	// single time, is chosen after.
	ahead := o.Lookahead && o.Remaining >= 2
	worth := scr.worth[:0]
	eachCandidate(c, o, func(k *candidate) {
		n++
		if n == 1 || k.day != dayKey {
			dayKey, day = k.day, days.at(c, k.at(), pb)
		}
		sc := static.add(day).add(moments.at(k.ns, k.hour))
		if !ahead && sc.sampled <= bestScore {
			return
		}
		z := sc.sampled / m.Beta
		// Worth a charge if the draw says so (exploring), the model's expectation does, or the
		// model cannot yet rule it out: one low draw of the weights a case's candidates share,
		// or a run of declines the model has not yet weighed against much, must not give up on
		// the case for good.
		if worthless.under(z) && worthless.under(sc.mean.z(m.Beta)) && (!o.Plausible || worthless.under(sc.mean.zPlausible(m.Beta))) {
			return
		}
		d, keep := disc.at(k.ns-fromNS), 1.0
		if o.Keep != nil && moments.charged {
			keep = o.Keep(time.Duration(k.ns - moments.lastNS))
		}
		if ahead {
			// Its chance is worked out only if the lookahead needs it (worthy.exact).
			worth = append(worth, worthy{ns: k.ns, z: z, d: d, keep: keep})
			return
		}
		p := phi(z)
		u := p * d * keep
		bestScore = sc.sampled
		if u > bestU {
			best, bestU, bestP = k.at(), u, p
		}
	})
	scr.worth = worth
	var aheadWords string
	if ahead && len(worth) > 0 {
		i, top := lookahead(worth, o, scr)
		best, bestU, bestP = candidateTime(c, o, worth[i].ns), worth[i].u, worth[i].p
		if top.ns > worth[i].ns {
			aheadWords = fmt.Sprintf("; before the likeliest time (%s, sampled %.2f): %d charges left reach it if this one fails",
				candidateTime(c, o, top.ns).Format("Mon 2 Jan 15:04"), top.p, o.Remaining-1)
		}
	}
	ch := Choice{Candidates: n, MeanFrom: m.Predict(featuresWith(staticNames, c, o.From, c.payBeliefAt(pb, o.From)))}
	if bestU < 0 {
		ch.Reason = fmt.Sprintf("%s: no time until %s is worth a charge (model p=%.2f now, under %.2f)",
			orNone(c.Code), o.Until.In(c.loc()).Format("Mon 2 Jan"), ch.MeanFrom, o.MinProbability)
		return ch
	}
	ch.Retry, ch.At, ch.Sampled = true, best, bestP
	ch.Features = featuresWith(staticNames, c, ch.At, pb)
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
	s     *Sampler
	names *momentNames
	// The case's failure, last charge and last message in Unix nanoseconds, and whether it
	// has either of the last two: candidates are compared with them as numbers (since).
	failedNS, lastNS, messageNS int64
	charged, messaged           bool
	hour                        [24]slot
	failure                     [maxBuckets + 1]slot
	last                        [maxBuckets + 1]slot
	message                     [maxBuckets + 2]slot // the last for no message yet
}

// maxBuckets bounds the ranges of failureBuckets and lastBuckets (TestBucketsFitTheirSlots).
const maxBuckets = 15

// slot is a feature's score once drawn.
type slot struct {
	sc    score
	drawn bool
}

// since keeps the times of c that candidates are measured from.
func (ms *moments) since(c Case) {
	ms.failedNS = c.FirstFailed.UnixNano()
	if ms.charged = !c.LastAttempt.IsZero(); ms.charged {
		ms.lastNS = c.LastAttempt.UnixNano()
	}
	if ms.messaged = !c.LastMessage.IsZero(); ms.messaged {
		ms.messageNS = c.LastMessage.UnixNano()
	}
}

// at is the score of timeFeatures(c, t, hour) for the case of since, t being ns in Unix
// nanoseconds and hour its hour in the customer's zone.
func (ms *moments) at(ns int64, hour int) score {
	nm := ms.names
	sc := ms.one(&ms.hour[hour], nm.hour[hour])
	i := bucketIndex(time.Duration(ns-ms.failedNS), failureBuckets)
	sc = sc.add(ms.one(&ms.failure[i], nm.failure[i]))
	if ms.charged {
		i := bucketIndex(time.Duration(ns-ms.lastNS), lastBuckets)
		sc = sc.add(ms.one(&ms.last[i], nm.last[i]))
	}
	if !ms.messaged || ms.messageNS > ns {
		none := len(nm.message) - 1
		return sc.add(ms.one(&ms.message[none], nm.message[none]))
	}
	i = bucketIndex(time.Duration(ns-ms.messageNS), lastBuckets)
	return sc.add(ms.one(&ms.message[i], nm.message[i]))
}

// momentNames are the names of one category group's moment features (timeFeatures), made once.
type momentNames struct {
	hour                   [24]string
	failure, last, message []string // by bucket index; message's last: none yet
}

var momentNamesTable = func() map[string]*momentNames {
	t := map[string]*momentNames{}
	for _, c := range append(slices.Clone(timedCategories), "other") {
		g, nm := string(c), &momentNames{}
		for h := range nm.hour {
			nm.hour[h] = g + "|hour:" + strconv.Itoa(h)
		}
		for i := range len(failureBuckets.list) + 1 {
			nm.failure = append(nm.failure, g+"|since_failure:"+failureBuckets.name(i))
		}
		for i := range len(lastBuckets.list) + 1 {
			nm.last = append(nm.last, g+"|since_last:"+lastBuckets.name(i))
			nm.message = append(nm.message, g+"|since_message:"+lastBuckets.name(i))
		}
		nm.message = append(nm.message, g+"|since_message:none")
		t[g] = nm
	}
	return t
}()

// one is the score of feature f, from its slot p, drawn the first time.
func (ms *moments) one(p *slot, f string) score {
	if !p.drawn {
		p.sc, p.drawn = ms.s.drawScore(f), true
	}
	return p.sc
}

// discount is DailyDiscount to the power of a wait in days: a candidate's worth beside one now.
// A decision's candidates lie whole hours apart, so the part of each wait past its whole hours
// is the same for nearly all of them: its factor is kept, and the whole hours' factor is read
// from a table made once per daily discount, instead of one exponential per candidate.
type discount struct {
	log   float64
	hours []float64 // hours[h] = exp(log·h/24)
	rest  int64     // the wait past whole hours of the factor kept in restF
	restF float64
}

// discountTables holds each daily discount's table of whole hours (*[]float64), a window's
// worth.
var discountTables sync.Map

// discountHours is how many whole hours a table covers: maxWindow and more.
const discountHours = 24 * 120

func newDiscount(daily float64) discount {
	d := discount{log: math.Log(daily), rest: -1}
	if t, ok := discountTables.Load(daily); ok {
		d.hours = *t.(*[]float64)
		return d
	}
	t := make([]float64, discountHours)
	for h := range t {
		t[h] = math.Exp(d.log * float64(h) / 24)
	}
	discountTables.Store(daily, &t)
	d.hours = t
	return d
}

// at is the discount of a wait of ns nanoseconds.
func (d *discount) at(ns int64) float64 {
	h, rest := ns/int64(time.Hour), ns%int64(time.Hour)
	if ns < 0 || h >= int64(len(d.hours)) {
		return math.Exp(d.log * time.Duration(ns).Hours() / 24)
	}
	if rest != d.rest {
		d.rest, d.restF = rest, math.Exp(d.log*(float64(rest)/float64(time.Hour))/24)
	}
	return d.hours[h] * d.restF
}

// worthy is a candidate worth a charge: its time in Unix nanoseconds, its score over Beta (z),
// discount (d) and the share of the card's chances it keeps (keep); once exact, its sampled
// probability p = phi(z) and value u = p·d·keep.
type worthy struct {
	ns         int64
	z, d, keep float64
	p, u       float64
	known      bool
}

// exact works out w's p and u.
func (w *worthy) exact() {
	if !w.known {
		w.p = phi(w.z)
		w.u, w.known = w.p*w.d*w.keep, true
	}
}

// bounds are bounds on w's p and u: p and u themselves once exact, else from the table of phi.
func (w *worthy) bounds() (pLo, pHi, uLo, uHi float64) {
	if w.known {
		return w.p, w.p, w.u, w.u
	}
	pLo, pHi = phiBounds(w.z)
	return pLo, pHi, pLo * w.d * w.keep, pHi * w.d * w.keep
}

// phiTable holds phi at every phiStep from -phiRange to phiRange: phiBounds reads a bound on
// each side of any z from it.
var phiTable = func() []float64 {
	t := make([]float64, 2*phiRange*phiSteps+1)
	for i := range t {
		t[i] = phi(float64(i)/phiSteps - phiRange)
	}
	return t
}()

const (
	phiRange = 10
	phiSteps = 128 // points per unit of z
	// phiSlack widens the table's bounds by far more than phi's rounding, so that they hold
	// whether or not phi rounds monotonically.
	phiSlack = 1e-9
)

// phiBounds returns lo ≤ phi(z) ≤ hi.
func phiBounds(z float64) (lo, hi float64) {
	x := (z + phiRange) * phiSteps
	switch {
	case !(x >= 0): // below the table, or NaN
		return 0, phiTable[0] * (1 + phiSlack)
	case x >= float64(len(phiTable)-1):
		return phiTable[len(phiTable)-1] * (1 - phiSlack), 1
	}
	i := int(x)
	return phiTable[i] * (1 - phiSlack), min(phiTable[i+1]*(1+phiSlack), 1)
}

// candidateTime is the candidate of Unix nanoseconds ns as eachCandidate gives it: From itself
// in the customer's zone, or another time there.
func candidateTime(c Case, o Options, ns int64) time.Time {
	if l := o.From.In(c.loc()); l.UnixNano() == ns {
		return l
	}
	return time.Unix(0, ns).In(c.loc())
}

// lookahead picks, among candidates ws (in time order), the one whose charge is worth most
// counting the best charge that could follow it: u(t) − c + (1 − p(t))·max(0, u(t') − c) for the
// best t' at least o.Gap after t, each charge costing c = o.MinProbability. It returns its index,
// and the candidate of the highest value alone (the first of equals, for both). scr holds its
// working arrays.
//
// Each candidate's p and u are worked out (phi, the costliest part of a decision) only where
// bounds from a table of phi cannot settle a comparison: both answers are those of working out
// every candidate (TestLookaheadMatchesWorkingOutEveryCandidate). Rounding never undoes a
// bound, since each operation below is monotone in its operands.
func lookahead(ws []worthy, o Options, scr *scratch) (int, worthy) {
	c := o.MinProbability
	n := len(ws)
	if cap(scr.suffix) <= n {
		scr.suffix = make([]float64, n+1)
	}
	if cap(scr.bounds) < n {
		scr.bounds = make([][4]float64, n)
	}
	suffix, bounds := scr.suffix[:n+1], scr.bounds[:n]
	// suffix[i] is the highest u of ws[i:]: a candidate that cannot exceed the highest after it
	// is not worked out.
	suffix[n] = 0
	for i := n - 1; i >= 0; i-- {
		pLo, pHi, uLo, uHi := ws[i].bounds()
		bounds[i] = [4]float64{pLo, pHi, uLo, uHi}
		suffix[i] = suffix[i+1]
		if uHi > suffix[i] {
			ws[i].exact()
			suffix[i] = max(suffix[i], ws[i].u)
		}
	}
	// Each candidate's value within bounds, the best after it being suffix[j] for the first j at
	// least Gap later; only those whose highest value reaches the best lowest one can be chosen.
	gap := max(int64(o.Gap), 1)
	if cap(scr.values) < n {
		scr.values = make([]float64, n)
	}
	vHi := scr.values[:n]
	best, topLo, j := math.Inf(-1), 0.0, 0
	for i := range ws {
		for j < n && ws[j].ns-ws[i].ns < gap {
			j++
		}
		b := &bounds[i]
		after := max(0, suffix[j]-c)
		vHi[i] = b[3] - c + (1-b[0])*after
		best = max(best, b[2]-c+(1-b[1])*after)
		topLo = max(topLo, b[2])
	}
	bi, bw, ti, j := 0, math.Inf(-1), -1, 0
	for i := range ws {
		for j < n && ws[j].ns-ws[i].ns < gap {
			j++
		}
		if vHi[i] >= best {
			ws[i].exact()
			if v := ws[i].u - c + (1-ws[i].p)*max(0, suffix[j]-c); v > bw {
				bi, bw = i, v
			}
		}
		if bounds[i][3] >= topLo {
			ws[i].exact()
			if ti < 0 || ws[i].u > ws[ti].u {
				ti = i
			}
		}
	}
	return bi, ws[ti]
}
