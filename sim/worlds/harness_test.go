package worlds

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/sim"
)

// fakeEnv is a minimal discrete-event simulation: a virtual clock, a queue of happenings, and a
// record of everything the world reports. It fails the test on a second resolution.
type fakeEnv struct {
	t        testing.TB
	now      time.Time
	rnd      *rand.Rand
	cfg      sim.Config
	q        queue
	seq      int
	onEvent  func(recoup.Event)
	events   []recoup.Event
	failures []sim.Failure
	outcomes map[string]sim.Outcome
	order    []string // invoice ids in order of resolution
	viol     []sim.Violation

	stripeTries, stripeEmails []stripeTry
	clicks                    []recoup.Message
}

func newFakeEnv(t testing.TB, cfg sim.Config) *fakeEnv {
	return &fakeEnv{t: t, now: cfg.Start, rnd: rand.New(rand.NewPCG(cfg.Seed, 42)), cfg: cfg, outcomes: map[string]sim.Outcome{}}
}

func (e *fakeEnv) Now() time.Time     { return e.now }
func (e *fakeEnv) Rand() *rand.Rand   { return e.rnd }
func (e *fakeEnv) Config() sim.Config { return e.cfg }
func (e *fakeEnv) At(t time.Time, fn func()) {
	if t.Before(e.now) {
		t = e.now
	}
	e.seq++
	heap.Push(&e.q, item{t, e.seq, fn})
}
func (e *fakeEnv) Emit(ev recoup.Event) {
	e.events = append(e.events, ev)
	if e.onEvent != nil {
		e.onEvent(ev)
	}
}
func (e *fakeEnv) Failed(f sim.Failure) { e.failures = append(e.failures, f) }
func (e *fakeEnv) Resolved(o sim.Outcome) {
	if _, dup := e.outcomes[o.InvoiceID]; dup {
		e.t.Errorf("invoice %s resolved twice", o.InvoiceID)
	}
	e.outcomes[o.InvoiceID] = o
	e.order = append(e.order, o.InvoiceID)
}
func (e *fakeEnv) Violation(v sim.Violation) { e.viol = append(e.viol, v) }
func (e *fakeEnv) Clicked(m recoup.Message)  { e.clicks = append(e.clicks, m) }
func (e *fakeEnv) StripeAttempt(id string, paid bool) {
	e.stripeTries = append(e.stripeTries, stripeTry{id, e.now, paid})
}
func (e *fakeEnv) StripeEmail(id string) {
	e.stripeEmails = append(e.stripeEmails, stripeTry{id, e.now, false})
}

// stripeTry is an automatic retry (or email) of Stripe's the world reported.
type stripeTry struct {
	invoice string
	at      time.Time
	paid    bool
}

// run runs happenings until the queue is empty, calling each(now) after every one.
func (e *fakeEnv) run(each func()) {
	for e.q.Len() > 0 {
		it := heap.Pop(&e.q).(item)
		e.now = it.t
		it.fn()
		if each != nil {
			each()
		}
	}
}

// runUntil runs happenings up to and including time t, then sets the clock to t.
func (e *fakeEnv) runUntil(t time.Time) {
	for e.q.Len() > 0 && !e.q[0].t.After(t) {
		it := heap.Pop(&e.q).(item)
		e.now = it.t
		it.fn()
	}
	e.now = t
}

// do runs fn at time t (and everything due before it).
func (e *fakeEnv) do(t time.Time, fn func()) {
	e.At(t, fn)
	e.runUntil(t)
}

type item struct {
	t   time.Time
	seq int
	fn  func()
}

type queue []item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].t.Equal(q[j].t) {
		return q[i].t.Before(q[j].t)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// policy is a scripted stand-in for the engine: retries at fixed offsets from the first
// failure, messages on fixed days, and optionally a charge as soon as a new card appears.
type policy struct {
	name string
	// retries returns the retry times for an invoice that first failed at t0.
	retries []func(t0 time.Time) time.Time
	// messages are sent on these days after the first failure, at 15:00 UTC.
	messages []message
	// newCard: charge the new card at once when the customer or the updater supplies one.
	newCard bool
	// verdict: skip retries on a card the classifier says not to retry.
	verdict bool
	// omniscient: the test sets the retry times from the invoice's hidden state.
	omniscient func(w *Realistic, id string) []time.Time
}

type message struct {
	day             int
	tone, template  string
	channel         string
	hourUTC, minute int
}

// at returns day d after t0 at hh:00 UTC, or the same time a day later if that is not after t0.
func at(d, hh int) func(time.Time) time.Time {
	return func(t0 time.Time) time.Time {
		u := t0.UTC().AddDate(0, 0, d)
		t := time.Date(u.Year(), u.Month(), u.Day(), hh, 0, 0, 0, time.UTC)
		if !t.After(t0) {
			t = t.Add(24 * time.Hour)
		}
		return t
	}
}

// after returns t0 + d.
func after(d time.Duration) func(time.Time) time.Time {
	return func(t0 time.Time) time.Time { return t0.Add(d) }
}

// driver runs a policy against the world through its ports only.
type driver struct {
	w        *Realistic
	env      *fakeEnv
	pol      policy
	seen     map[string]bool
	attempts int
	messages int
	blocked  map[string]bool // invoices whose card the issuer blocked for retrying too often
}

func (d *driver) event(ev recoup.Event) {
	switch ev.Type {
	case "invoice.payment_failed":
		if !d.seen[ev.ObjectID] {
			d.seen[ev.ObjectID] = true
			d.plan(ev.ObjectID, ev.Created)
		}
	case "customer.updated":
		if d.pol.newCard {
			var p struct {
				Data struct {
					Object struct {
						InvoiceSettings struct {
							DefaultPaymentMethod string `json:"default_payment_method"`
						} `json:"invoice_settings"`
					} `json:"object"`
				} `json:"data"`
			}
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				d.env.t.Fatalf("customer.updated payload: %v", err)
			}
			id, pm := invoiceOf(ev.ObjectID), p.Data.Object.InvoiceSettings.DefaultPaymentMethod
			d.env.At(d.env.Now(), func() { d.pay(id, pm, false) })
		}
	case "payment_method.automatically_updated":
		if d.pol.newCard {
			id, pm := invoiceOf(ev.CustomerID), ev.ObjectID
			d.env.At(d.env.Now(), func() { d.pay(id, pm, false) })
		}
	}
}

func invoiceOf(customer string) string { return "in_" + strings.TrimPrefix(customer, "cus_") }

func (d *driver) plan(id string, t0 time.Time) {
	for _, f := range d.pol.retries {
		d.env.At(f(t0), func() { d.pay(id, "", d.pol.verdict) })
	}
	if d.pol.omniscient != nil {
		for _, t := range d.pol.omniscient(d.w, id) {
			d.env.At(t, func() { d.pay(id, "pm_"+strings.TrimPrefix(id, "in_")+"_1", false) })
		}
	}
	for i, m := range d.pol.messages {
		u := t0.UTC().AddDate(0, 0, m.day)
		t := time.Date(u.Year(), u.Month(), u.Day(), m.hourUTC, m.minute, 0, 0, time.UTC)
		d.env.At(t, func() {
			inv, err := d.w.Invoice(context.Background(), id)
			if err != nil || inv.Status != recoup.InvoiceOpen {
				return
			}
			d.messages++
			_ = d.w.Send(context.Background(), recoup.Message{CaseID: 1, InvoiceID: id, CustomerID: inv.CustomerID, Step: i,
				Channel: m.channel, Template: m.template, Tone: m.tone, To: inv.CustomerEmail})
		})
	}
}

func (d *driver) pay(id, pm string, verdict bool) {
	inv, err := d.w.Invoice(context.Background(), id)
	if err != nil || inv.Status != recoup.InvoiceOpen {
		return
	}
	if verdict && inv.LastPayment != nil && inv.LastPayment.Decline != nil && !decline.Classify(inv.LastPayment.Decline).Retry {
		return
	}
	d.attempts++
	key := fmt.Sprintf("%s-%d", id, d.attempts)
	res, err := d.w.Pay(context.Background(), recoup.PayRequest{InvoiceID: id, IdempotencyKey: key, PaymentMethodID: pm})
	if err != nil {
		d.env.t.Fatalf("pay %s: %v", id, err)
	}
	if dec := res.Decline; dec != nil && dec.DeclineCode == "do_not_honor" && dec.AdviceCode == "do_not_try_again" {
		d.blocked[id] = true
	}
}

// result is one run.
type result struct {
	env *fakeEnv
	w   *Realistic
	d   *driver
	// peak is the most active invoices at any time.
	peak int
	// invs holds every invoice's hidden state, as drawn at its arrival.
	invs map[string]*invoice
}

var year = sim.Config{
	Start:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	End:    time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	Window: 30 * 24 * time.Hour,
}

// simulate runs n invoices of the realistic world over a year against pol.
func simulate(t testing.TB, n int, seed uint64, pol policy) result {
	t.Helper()
	cfg := year
	cfg.Invoices, cfg.Seed = n, seed
	env := newFakeEnv(t, cfg)
	w := NewRealistic()
	d := &driver{w: w, env: env, pol: pol, seen: map[string]bool{}, blocked: map[string]bool{}}
	env.onEvent = d.event
	if err := w.Start(env); err != nil {
		t.Fatal(err)
	}
	res := result{env: env, w: w, d: d, invs: map[string]*invoice{}}
	env.run(func() {
		res.peak = max(res.peak, len(w.active))
		for ; len(res.invs) < w.n; res.invs[fmt.Sprintf("in_%d", len(res.invs)+1)] = w.active[fmt.Sprintf("in_%d", len(res.invs)+1)] {
		}
	})
	return res
}

// rates summarises a run for calibration: recovered share of invoices, and by category.
func (r result) rates() (total float64, byCat map[recoup.Category]float64) {
	n := map[recoup.Category]int{}
	rec := map[recoup.Category]int{}
	all := 0
	for _, f := range r.env.failures {
		n[f.Category]++
		if r.env.outcomes[f.InvoiceID].Result == sim.Recovered {
			rec[f.Category]++
			all++
		}
	}
	byCat = map[recoup.Category]float64{}
	for c, k := range n {
		byCat[c] = 100 * float64(rec[c]) / float64(k)
	}
	return 100 * float64(all) / float64(len(r.env.failures)), byCat
}

var ctx = context.Background()

// The scripted policies the oracle and the calibration are checked against.
var (
	fixedWithEmails = policy{name: "days 0/3/7/15 + emails 3/7/14",
		retries:  []func(time.Time) time.Time{at(0, 15), at(3, 15), at(7, 15), at(15, 15)},
		messages: []message{{3, "gentle", "reminder", "email", 15, 0}, {7, "helpful", "update", "email", 15, 0}, {14, "urgent", "last", "email", 15, 0}},
		newCard:  true}
	threeRetries = policy{name: "days 3/5/7", retries: []func(time.Time) time.Time{at(3, 15), at(5, 15), at(7, 15)}}
	days03715    = policy{name: "days 0/3/7/15", retries: []func(time.Time) time.Time{at(0, 15), at(3, 15), at(7, 15), at(15, 15)}, newCard: true}
	daily        = policy{name: "daily at 15:00 UTC", retries: every(24*time.Hour, 14, at(0, 15))}
	dailyEmails  = policy{name: "daily + the same email daily", retries: every(24*time.Hour, 14, at(0, 15)), messages: sameEveryDay(14)}
	sixHourly    = policy{name: "every 6 hours", retries: every(6*time.Hour, 119, after(6*time.Hour)), verdict: true}
	aggressive   = policy{name: "1h, 3h, 6h, 12h, 24h, 48h", retries: []func(time.Time) time.Time{
		after(time.Hour), after(3 * time.Hour), after(6 * time.Hour), after(12 * time.Hour), after(24 * time.Hour), after(48 * time.Hour)}}
)

func every(step time.Duration, n int, first func(time.Time) time.Time) []func(time.Time) time.Time {
	var out []func(time.Time) time.Time
	for i := range n {
		out = append(out, func(t0 time.Time) time.Time { return first(t0).Add(time.Duration(i) * step) })
	}
	return out
}

func sameEveryDay(n int) []message {
	var out []message
	for d := range n {
		out = append(out, message{d, "urgent", "same", "email", 15, 1})
	}
	return out
}

// drawInvoices draws n invoices' hidden states directly, first failures spread over 2026.
func drawInvoices(t *testing.T, n int, seed uint64) (*Realistic, []*invoice) {
	t.Helper()
	return drawInvoicesWith(t, DefaultRealisticParams(), n, seed)
}

// drawInvoicesWith is drawInvoices in a world with parameters p.
func drawInvoicesWith(t *testing.T, p RealisticParams, n int, seed uint64) (*Realistic, []*invoice) {
	t.Helper()
	w := NewRealisticWith(p)
	if w.err != nil {
		t.Fatal(w.err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	var out []*invoice
	for i := 1; i <= n; i++ {
		t0 := year.Start.Add(time.Duration(r.Int64N(int64(year.End.Sub(year.Start))))).Truncate(time.Second)
		out = append(out, newInvoice(i, "", rand.New(rand.NewPCG(r.Uint64(), r.Uint64())), t0, year.Window, &w.p, w.zones, nil))
	}
	return w, out
}

// startWorld starts a world whose n invoices all fail in the first hour of 2026-03-02, and
// runs it to the end of that hour.
func startWorld(t *testing.T, n int) (*Realistic, *fakeEnv) {
	t.Helper()
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	env := newFakeEnv(t, sim.Config{Invoices: n, Start: start, End: start.Add(time.Hour), Window: 30 * 24 * time.Hour, Seed: 99})
	w := NewRealistic()
	if err := w.Start(env); err != nil {
		t.Fatal(err)
	}
	env.runUntil(start.Add(time.Hour))
	return w, env
}

// find returns the active invoice of lowest number that matches.
func find(t *testing.T, w *Realistic, match func(*invoice) bool) *invoice {
	t.Helper()
	for n := 1; n <= w.n; n++ {
		if inv := w.active[fmt.Sprintf("in_%d", n)]; inv != nil && match(inv) {
			return inv
		}
	}
	t.Fatal("no such invoice")
	return nil
}

// pay charges the invoice's default card at time at.
func pay(t *testing.T, w *Realistic, env *fakeEnv, id string, at time.Time, key string, pm ...string) recoup.PayResult {
	t.Helper()
	var res recoup.PayResult
	env.do(at, func() {
		var err error
		req := recoup.PayRequest{InvoiceID: id, IdempotencyKey: key}
		if len(pm) > 0 {
			req.PaymentMethodID = pm[0]
		}
		if res, err = w.Pay(ctx, req); err != nil {
			t.Fatalf("pay %s at %s: %v", id, at, err)
		}
	})
	return res
}

func lastEvent(env *fakeEnv, id string) string {
	for i := len(env.events) - 1; i >= 0; i-- {
		if e := env.events[i]; e.ObjectID == id || e.ObjectID == strings.Replace(id, "in_", "sub_", 1) {
			return e.Type
		}
	}
	return ""
}

// quiet reports whether nothing but the engine ends the invoice before its window does.
func quiet(i *invoice) bool { return i.leaveAt.IsZero() && i.ownAt.IsZero() }
