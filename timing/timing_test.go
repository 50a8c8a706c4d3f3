package timing

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestZone(t *testing.T) {
	fallback := mustLoc(t, "UTC")
	for _, tc := range []struct{ country, region, want string }{
		{"US", "CA", "America/Los_Angeles"},
		{"us", "tx", "America/Chicago"},
		{"US", "", "America/New_York"},
		{"US", "NY", "America/New_York"},
		{"CA", "BC", "America/Vancouver"},
		{"AU", "WA", "Australia/Perth"},
		{"DE", "BY", "Europe/Berlin"},
		{"JP", "", "Asia/Tokyo"},
		{"", "", "UTC"},
		{"XX", "", "UTC"},
	} {
		if got := Zone(tc.country, tc.region, fallback).String(); got != tc.want {
			t.Errorf("Zone(%q, %q) = %s, want %s", tc.country, tc.region, got, tc.want)
		}
	}
}

func TestCalendar(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	us := CalendarFor("US")
	if !us.Holiday(time.Date(2026, 7, 3, 10, 0, 0, 0, ny)) { // July 4th 2026 is a Saturday: observed Friday
		t.Error("Fri 3 Jul 2026 is the observed Independence Day in the US")
	}
	if us.BusinessDay(time.Date(2026, 12, 25, 10, 0, 0, 0, ny)) {
		t.Error("Christmas is not a business day")
	}
	if !us.BusinessDay(time.Date(2026, 12, 23, 10, 0, 0, 0, ny)) {
		t.Error("Wed 23 Dec 2026 is a business day")
	}
	// A late evening in New York is already the next day in UTC: the local date decides.
	if !us.Holiday(time.Date(2026, 12, 25, 23, 0, 0, 0, ny)) {
		t.Error("23:00 on Christmas in New York is Christmas")
	}
	if got := us.LastBusinessDay(2026, time.May); got != 29 { // 31 May is a Sunday
		t.Errorf("last business day of May 2026 = %d, want 29", got)
	}
	if got := CalendarFor("GB").LastBusinessDay(2026, time.August); got != 28 { // 31 Aug: summer bank holiday
		t.Errorf("last business day of August 2026 in GB = %d, want 28", got)
	}
	if CalendarFor("ZZ").Holiday(time.Date(2026, 12, 25, 10, 0, 0, 0, time.UTC)) {
		t.Error("an unknown country has no holidays")
	}
}

// The named paydays describe the day of a category that does not wait for money (an issuer's
// decline, a technical failure); a card short of funds has the belief over its customer's pay
// schedules instead (schedule_test.go).
func TestPaydayFeatures(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := Case{Category: recoup.CategoryIssuerSoft, Loc: ny, Cal: CalendarFor("US"), FirstFailed: time.Date(2026, 3, 1, 0, 0, 0, 0, ny)}
	for _, tc := range []struct {
		at   time.Time
		want []string
	}{
		// Mon 16 Mar 2026, 09:30 local (13:30 UTC).
		{time.Date(2026, 3, 16, 13, 30, 0, 0, time.UTC), []string{"issuer_soft|hour:9", "issuer_soft|weekday:Mon", "issuer_soft|dom:16",
			"issuer_soft|since_1st:7+", "issuer_soft|since_15th:1", "issuer_soft|since_25th:7+", "issuer_soft|since_friday:3", "issuer_soft|day:business",
			"issuer_soft|since_last_business_day:7+", "issuer_soft|since_failure:14d+", "issuer_soft|passed_15th:yes", "issuer_soft|passed_1st:no"}},
		// Fri 1 May 2026: the 1st, a Friday; April's last business day was Thu 30 Apr.
		{time.Date(2026, 5, 1, 10, 0, 0, 0, ny), []string{"issuer_soft|since_1st:0", "issuer_soft|since_friday:0", "issuer_soft|since_last_business_day:1", "issuer_soft|since_25th:6" /* bucket 4-6 */}},
		// 2 Jan 2026: since the 25th of December is 8 days, across the year.
		{time.Date(2026, 1, 2, 10, 0, 0, 0, ny), []string{"issuer_soft|since_25th:7+", "issuer_soft|since_15th:7+"}},
		// Fri 3 Jul 2026: observed Independence Day.
		{time.Date(2026, 7, 3, 10, 0, 0, 0, ny), []string{"issuer_soft|day:holiday"}},
		{time.Date(2026, 7, 4, 10, 0, 0, 0, ny), []string{"issuer_soft|day:weekend"}},
	} {
		got := Features(c, tc.at)
		for _, w := range tc.want {
			if w == "issuer_soft|since_25th:6" {
				w = "issuer_soft|since_25th:4-6"
			}
			if !slices.Contains(got, w) {
				t.Errorf("Features at %s lack %q: %v", tc.at.In(ny), w, got)
			}
		}
	}
}

// Once the card has been charged again, the paydays that came since that charge are told apart
// from those that came only before it: the failed charge already tried their money.
func TestPaydaysSinceTheLastCharge(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	first := Case{Category: recoup.CategoryIssuerSoft, Loc: ny, Cal: CalendarFor("US"), FirstFailed: time.Date(2026, 3, 10, 9, 0, 0, 0, ny)}
	first.LastAttempt = first.FirstFailed // the failure itself: no retry yet
	at := time.Date(2026, 4, 2, 10, 0, 0, 0, ny)
	for _, f := range Features(first, at) {
		if strings.Contains(f, "after_charge_") {
			t.Errorf("a first retry has %q: nothing was charged since the failure", f)
		}
	}
	retried := first
	retried.LastAttempt = time.Date(2026, 3, 16, 10, 0, 0, 0, ny) // after the 15th, before the 25th
	got := Features(retried, at)
	for _, w := range []string{"issuer_soft|passed_15th:yes", "issuer_soft|after_charge_15th:no", "issuer_soft|after_charge_25th:yes",
		"issuer_soft|after_charge_1st:yes", "issuer_soft|after_charge_last_business_day:yes", "issuer_soft|after_charge_friday:yes"} {
		if !slices.Contains(got, w) {
			t.Errorf("Features at %s after a charge on 16 Mar lack %q: %v", at, w, got)
		}
	}
	// A payday on the charge's own date does not count: its money was there or not.
	retried.LastAttempt = time.Date(2026, 4, 1, 8, 0, 0, 0, ny)
	if got := Features(retried, at); !slices.Contains(got, "issuer_soft|after_charge_1st:no") {
		t.Errorf("the 1st counted as coming after a charge on the 1st: %v", got)
	}
}

// Every day of the month and of the week that came since the last charge is a feature, so a
// payday nobody named (the 10th, a Wednesday) can be learned like the named ones.
func TestUnnamedPaydaysSinceTheLastCharge(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := Case{Category: recoup.CategoryIssuerSoft, Loc: ny, Cal: CalendarFor("US"), FirstFailed: time.Date(2026, 3, 2, 9, 0, 0, 0, ny),
		LastAttempt: time.Date(2026, 3, 9, 9, 0, 0, 0, ny)} // Mon 9 Mar
	got := Features(c, time.Date(2026, 3, 12, 10, 0, 0, 0, ny)) // Thu 12 Mar
	var news []string
	for _, f := range got {
		if strings.Contains(f, "|new_") {
			news = append(news, f)
		}
	}
	want := []string{"issuer_soft|new_dom:12", "issuer_soft|new_weekday:Thu", "issuer_soft|new_dom:11", "issuer_soft|new_weekday:Wed", "issuer_soft|new_dom:10", "issuer_soft|new_weekday:Tue"}
	if !slices.Equal(news, want) {
		t.Errorf("days since the charge on 9 Mar: got %v, want %v", news, want)
	}
	// Before any retry, the days since the failure count; a month back at most.
	c.LastAttempt = c.FirstFailed
	got = Features(c, time.Date(2026, 4, 20, 10, 0, 0, 0, ny))
	doms, weekdays := 0, 0
	for _, f := range got {
		doms += b2i(strings.Contains(f, "|new_dom:"))
		weekdays += b2i(strings.Contains(f, "|new_weekday:"))
	}
	if doms != 31 || weekdays != 7 {
		t.Errorf("49 days after the failure: %d new days of the month and %d of the week, want 31 and 7", doms, weekdays)
	}
	// A month back from 20 March passes through February: each day of the month once.
	c.FirstFailed, c.LastAttempt = time.Date(2026, 2, 1, 9, 0, 0, 0, ny), time.Time{}
	got = Features(c, time.Date(2026, 3, 20, 10, 0, 0, 0, ny))
	seen := map[string]bool{}
	for _, f := range got {
		if seen[f] {
			t.Errorf("feature %q twice", f)
		}
		seen[f] = true
	}
	// Many are active at once, so each starts less uncertain than other features.
	m := NewModel()
	if w := m.Weight("issuer_soft|new_dom:10"); w.Var >= m.Weight("issuer_soft|dom:10").Var {
		t.Errorf("prior variance of new_dom %v, not below dom's %v", w.Var, m.Weight("issuer_soft|dom:10").Var)
	}
}

func TestCandidatesAcrossDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := Case{Loc: ny}
	// DST starts Sun 8 Mar 2026 at 02:00 in New York: 02:00 does not exist that day.
	from := time.Date(2026, 3, 7, 23, 30, 0, 0, ny)
	o := Options{From: from, Until: from.Add(48 * time.Hour), FirstHour: 0, LastHour: 23}
	cands := Candidates(c, o)
	seen := map[string]bool{}
	for i, t2 := range cands {
		if i > 0 && !t2.After(cands[i-1]) {
			t.Fatalf("candidates not strictly increasing at %d: %s after %s", i, t2, cands[i-1])
		}
		if t2.Before(o.From) || t2.After(o.Until) {
			t.Fatalf("candidate %s outside the window", t2)
		}
		seen[t2.In(ny).Format("2006-01-02 15:04")] = true
	}
	if seen["2026-03-08 02:00"] {
		t.Error("02:00 on 8 Mar 2026 does not exist in New York")
	}
	for _, want := range []string{"2026-03-08 01:00", "2026-03-08 03:00", "2026-03-09 10:00"} {
		if !seen[want] {
			t.Errorf("missing candidate %s", want)
		}
	}
	if cands[0] != from {
		t.Errorf("the first candidate is the earliest allowed time, got %s", cands[0])
	}

	// Business hours only, across a month end.
	from = time.Date(2026, 1, 31, 20, 0, 0, 0, ny)
	o = Options{From: from, Until: from.Add(36 * time.Hour), FirstHour: 8, LastHour: 20}
	cands = Candidates(c, o)
	for _, t2 := range cands[1:] {
		if h := t2.In(ny).Hour(); h < 8 || h > 20 {
			t.Errorf("candidate %s outside business hours", t2.In(ny))
		}
	}
	if got := cands[1].In(ny).Format("Jan 2 15:04"); got != "Feb 1 08:00" {
		t.Errorf("first full-hour candidate after a month end = %s, want Feb 1 08:00", got)
	}
}

// The model converges to the true rates of synthetic data: two kinds of retry with a 60% and a
// 10% success rate, sharing some features.
func TestModelConverges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := NewModel()
	good := []string{"bias", "cat:funds", "funds|dom:1", "funds|hour:9"}
	bad := []string{"bias", "cat:funds", "funds|dom:10", "funds|hour:9"}
	for range 6000 {
		m.Update(good, rng.Float64() < 0.6)
		m.Update(bad, rng.Float64() < 0.1)
	}
	if p := m.Predict(good); p < 0.55 || p > 0.65 {
		t.Errorf("p(good) = %.3f, want 0.60 ± 0.05", p)
	}
	if p := m.Predict(bad); p < 0.07 || p > 0.13 {
		t.Errorf("p(bad) = %.3f, want 0.10 ± 0.03", p)
	}
	if w := m.Weight("funds|dom:1"); w.Var >= m.PriorVar/10 {
		t.Errorf("a feature seen 6000 times keeps variance %.4f (prior %.4f)", w.Var, m.PriorVar)
	}
	if w := m.Weight("funds|dom:2"); w.Var != m.PriorVar || w.N != 0 {
		t.Errorf("an unseen feature has moved: %+v", w)
	}
	// Round trip through the store encoding.
	m2 := storedAndRead(t, m)
	if m2.Predict(good) != m.Predict(good) || m2.Updates != m.Updates {
		t.Error("a decoded model predicts differently")
	}
	if _, err := UnmarshalModel([]byte(`{"beta":0}`)); err == nil {
		t.Error("a model with beta 0 decodes")
	}
}

func TestPriorPredictsCategoryRate(t *testing.T) {
	m := NewModel()
	c := Case{Category: recoup.CategoryTechnical, Code: "processing_error", Loc: time.UTC, FirstFailed: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	p := m.Predict(Features(c, c.FirstFailed.Add(time.Hour)))
	if p < 0.4 || p > 0.6 {
		t.Errorf("an unseen technical failure predicts %.2f, want about its prior 0.5", p)
	}
	c.Category = recoup.CategoryFunds
	if p := m.Predict(Features(c, c.FirstFailed.Add(time.Hour))); p > 0.2 {
		t.Errorf("an unseen funds decline predicts %.2f, want about its prior 0.1", p)
	}
}

// Thompson sampling finds the good hour of a synthetic world where only 09:00 local succeeds,
// and keeps exploring: it does not pick the same hour before it has learned anything.
func TestChooseLearnsTheGoodHour(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := NewModel()
	loc := mustLoc(t, "Europe/Paris")
	start := time.Date(2026, 2, 2, 0, 0, 0, 0, loc)
	hours := map[int]int{}
	var late int
	for i := range 3000 {
		c := Case{Category: recoup.CategoryIssuerSoft, Code: "do_not_honor", Loc: loc, FirstFailed: start.Add(time.Duration(i) * time.Hour)}
		o := Options{From: c.FirstFailed.Add(time.Hour), Until: c.FirstFailed.Add(48 * time.Hour), Remaining: 3, Budget: 4,
			DailyDiscount: 0.97, MinProbability: 0.01, FirstHour: 6, LastHour: 21}
		ch := Choose(m, rng, c, o)
		if !ch.Retry {
			continue
		}
		ok := ch.At.In(loc).Hour() == 9 && rng.Float64() < 0.7
		m.Update(ch.Features, ok)
		if i >= 2500 {
			late++
			hours[ch.At.In(loc).Hour()]++
		}
	}
	if share := float64(hours[9]) / float64(late); share < 0.8 {
		t.Errorf("after 2,500 outcomes 09:00 is chosen %.0f%% of the time, want >= 80%%: %v", 100*share, hours)
	}
}

func TestChooseRefusesHopelessRetries(t *testing.T) {
	m := NewModel()
	fs := []string{}
	c := Case{Category: recoup.CategoryHard, Code: "stolen_card", Loc: time.UTC, FirstFailed: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	for range 200 {
		fs = Features(c, c.FirstFailed.Add(2*time.Hour))
		m.Update(fs, false)
	}
	ch := Choose(m, rand.New(rand.NewPCG(5, 6)), c, Options{From: c.FirstFailed.Add(time.Hour), Until: c.FirstFailed.Add(24 * time.Hour),
		Remaining: 3, Budget: 4, DailyDiscount: 0.97, MinProbability: 0.05, FirstHour: 8, LastHour: 20})
	if ch.Retry {
		t.Errorf("a retry was chosen at p=%.3f for a card that never passes", ch.Sampled)
	}
}

// Choose scores candidates by parts (static, day, moment); the sum must be the score of the
// whole feature list the model learns from.
func TestChooseScoresTheFeaturesItLearns(t *testing.T) {
	for _, cat := range []recoup.Category{recoup.CategoryFunds, recoup.CategoryIssuerSoft} {
		t.Run(string(cat), func(t *testing.T) { chooseScoresTheFeaturesItLearns(t, cat) })
	}
}

func chooseScoresTheFeaturesItLearns(t *testing.T, cat recoup.Category) {
	ny := mustLoc(t, "America/New_York")
	m := NewModel()
	rng := rand.New(rand.NewPCG(7, 8))
	c := Case{Category: cat, Code: "insufficient_funds", Brand: "visa", Funding: "debit", Amount: 2900, Currency: "usd",
		FirstFailed: time.Date(2026, 3, 2, 9, 0, 0, 0, ny), LastAttempt: time.Date(2026, 3, 3, 9, 0, 0, 0, ny),
		LastMessage: time.Date(2026, 3, 4, 10, 0, 0, 0, ny), Loc: ny, Cal: CalendarFor("US")}
	for i := range 300 {
		m.Update(Features(c, c.FirstFailed.Add(time.Duration(i)*7*time.Hour)), rng.Float64() < 0.3)
	}
	for i := range 20 {
		s := m.Sampler(rand.New(rand.NewPCG(uint64(i), 1)))
		s.keepAll = true
		ch := choose(m, s, c, Options{From: c.FirstFailed.Add(24 * time.Hour), Until: c.FirstFailed.Add(20 * 24 * time.Hour),
			Remaining: 3, Budget: 4, DailyDiscount: 0.97, MinProbability: 0.01, FirstHour: 6, LastHour: 21})
		if !ch.Retry {
			continue
		}
		if whole := s.P(Features(c, ch.At)); math.Abs(whole-ch.Sampled) > 1e-12 {
			t.Fatalf("draw %d: chosen with p=%v, but its features score %v", i, ch.Sampled, whole)
		}
		if got := Features(c, ch.At); !slices.Equal(got, ch.Features) {
			t.Fatalf("draw %d: the choice's features %v differ from Features %v", i, ch.Features, got)
		}
	}
}

// One low draw of the weights all of a case's candidates share (its category, its code) must not
// give up on a case the model expects to pass now and then: an untrained model retries every
// funds decline, whatever the draw.
func TestNoCaseAbandonedOnOneDraw(t *testing.T) {
	m := NewModel()
	c := Case{Category: recoup.CategoryFunds, Code: "insufficient_funds", Loc: time.UTC, FirstFailed: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	o := Options{From: c.FirstFailed.Add(24 * time.Hour), Until: c.FirstFailed.Add(30 * 24 * time.Hour), Remaining: 6, Budget: 6,
		DailyDiscount: 0.97, MinProbability: 0.05, FirstHour: 6, LastHour: 21}
	for seed := range uint64(500) {
		if ch := Choose(m, rand.New(rand.NewPCG(seed, 9)), c, o); !ch.Retry {
			t.Fatalf("draw %d gave up on a funds decline the model expects to pass at p=%.2f: %s", seed, m.Predict(Features(c, o.From)), ch.Reason)
		}
	}
}

// Date arithmetic without times agrees with the time package on every day of two centuries.
func TestDaysFromCivil(t *testing.T) {
	for d := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2100; d = d.AddDate(0, 0, 1) {
		want := int(d.Unix() / 86400)
		if d.Unix() < 0 && d.Unix()%86400 != 0 {
			want--
		}
		if got := daysFromCivil(d.Date()); got != want {
			t.Fatalf("daysFromCivil(%s) = %d, want %d", d.Format("2006-01-02"), got, want)
		}
		if y, m, _ := d.Date(); d.Day() == 1 {
			if got, want := daysIn(y, m), d.AddDate(0, 1, -1).Day(); got != want {
				t.Fatalf("daysIn(%d, %s) = %d, want %d", y, m, got, want)
			}
		}
	}
}

func TestLoadLocationParsesEachZoneOnce(t *testing.T) {
	for _, name := range []string{"Europe/Paris", "Pacific/Chatham"} {
		a, err := LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := LoadLocation(name)
		if a != b || a.String() != name {
			t.Errorf("LoadLocation(%q) = %v and %v: want one parsed zone", name, a, b)
		}
	}
	if _, err := LoadLocation("Mars/Olympus_Mons"); err == nil {
		t.Error("an unknown zone loaded")
	}
}

func TestBucketsFitTheirSlots(t *testing.T) {
	if n := max(len(failureBuckets.list), len(lastBuckets.list)); n > maxBuckets {
		t.Fatalf("%d time buckets: the moments' slots hold %d", n, maxBuckets)
	}
}

// A belief reckoned to a later time serves an earlier one (payBeliefAt): the same features as
// reckoning it anew, whatever charges came between.
func TestPayBeliefAtGivesTheBeliefOfItsTime(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		failed := time.Date(2026, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), 0, 0, 0, ny)
		c := Case{Category: recoup.CategoryFunds, Code: "insufficient_funds", FirstFailed: failed, Loc: ny, Cal: CalendarFor("US")}
		for range rng.IntN(4) {
			c.Charged = append(c.Charged, failed.Add(time.Duration(1+rng.IntN(30*24))*time.Hour))
		}
		slices.SortFunc(c.Charged, func(a, b time.Time) int { return a.Compare(b) })
		at := failed.Add(time.Duration(rng.IntN(40*24)) * time.Hour)
		until := at.Add(time.Duration(rng.IntN(30*24)) * time.Hour)
		if got, want := features(c, at, c.payBeliefAt(c.payBelief(until), at)), Features(c, at); !slices.Equal(got, want) {
			t.Fatalf("case %d: %v, want %v", i, got, want)
		}
		if got, want := c.payBeliefAt(c.payBelief(until), at).reason(at.In(ny)), c.payBelief(at).reason(at.In(ny)); got != want {
			t.Fatalf("case %d: reason %q, want %q", i, got, want)
		}
	}
}

// The year tables' last business days are the last days of their months that are business days.
func TestLastBusinessDayOfEveryMonth(t *testing.T) {
	for _, country := range []string{"US", "GB", "JP", "BR", ""} {
		c := CalendarFor(country)
		for y := 2024; y <= 2028; y++ {
			for m := time.January; m <= time.December; m++ {
				d := time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC)
				for !c.BusinessDay(d) {
					d = d.AddDate(0, 0, -1)
				}
				if got := c.LastBusinessDay(y, m); got != d.Day() {
					t.Errorf("%s %d-%02d: %d, want %d", country, y, m, got, d.Day())
				}
			}
		}
	}
	if got, want := CalendarFor("US").LastBusinessDay(2026, 13), CalendarFor("US").LastBusinessDay(2027, time.January); got != want {
		t.Errorf("month 13 of 2026: %d, want January 2027's %d", got, want)
	}
}

// threshold.under is phi(z) < q, for every q a policy allows and z near and far from probit(q).
func TestThresholdIsPhiUnderQ(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, q := range []float64{0, 0.001, 0.02, 0.05, 0.3, 0.5, 0.9, 0.999999} {
		th := newThreshold(q)
		zq := probit(math.Max(q, 1e-300))
		for range 20000 {
			z := rng.NormFloat64() * 4
			if rng.IntN(2) == 0 && !math.IsInf(zq, 0) {
				z = zq + (rng.Float64()-0.5)*math.Pow(10, -float64(rng.IntN(16)))
			}
			if got, want := th.under(z), phi(z) < q; got != want {
				t.Fatalf("q=%v z=%v: under %v, phi(z)=%v", q, z, got, phi(z))
			}
		}
	}
}

// storedAndRead is m encoded for the store and read back.
func storedAndRead(t *testing.T, m *Model) *Model {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	return back
}
