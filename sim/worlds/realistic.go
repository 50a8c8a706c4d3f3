// Package worlds holds the simulator's world models: each plays Stripe, the card networks, the
// issuers and the customers behind the engine's ports (see sim.World) and registers itself by
// name from an init function.
package worlds

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
	_ "time/tzdata" // the customers' time zones, the same on every machine

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

func init() {
	sim.Register("realistic", func() sim.World { return NewRealistic() })
}

// Realistic is a world calibrated to the public figures in calibration.md: the decline mix,
// paydays by country, issuers whose generic declines lift and who punish retries that come too
// often, card updaters, customers who leave, fix things on their own or answer messages, and the
// networks' retry rules. docs/simulator-realistic.md describes the model and its parameters.
//
// Every invoice draws its hidden state once, from its own random stream seeded in order of
// arrival, and every later outcome is a deterministic function of that state, the time and the
// history (per-event draws are hashed from the invoice's key and an index, never taken from a
// shared stream). So invoice i's hidden state is the same whatever the policy does, and the
// oracle computed from it is exact. Only active invoices are kept; a resolved one leaves a
// tombstone for Tombstone, then is forgotten.
type Realistic struct {
	p     RealisticParams
	zones map[string]*time.Location
	err   error

	env    sim.Env
	cfg    sim.Config
	window time.Duration
	master *rand.Rand // the world's own stream: arrivals and per-invoice seeds
	left   int        // invoices still to arrive
	pos    float64    // the last arrival's position in [Start, End), in [0, 1)
	n      int        // invoices so far
	events int

	active map[string]*invoice
	// byCustomer names each customer's open invoice (one at a time), for PaymentMethods.
	byCustomer map[string]string
	tombs      map[string]*tombstone
	ledger     *sim.Ledger // Stripe's record of what the world plays, if kept (RecordTo)
}

// tombstone is what remains of a resolved invoice: what Stripe shows, and the idempotent
// replies to its charges.
type tombstone struct {
	view recoup.Invoice
	idem map[string]recoup.PayResult
}

// NewRealistic returns the realistic world with DefaultRealisticParams.
func NewRealistic() *Realistic { return NewRealisticWith(DefaultRealisticParams()) }

// NewRealisticWith returns a realistic world with the given parameters.
func NewRealisticWith(p RealisticParams) *Realistic {
	w := &Realistic{p: p, zones: map[string]*time.Location{}, active: map[string]*invoice{}, byCustomer: map[string]string{}, tombs: map[string]*tombstone{}}
	for _, c := range p.Countries {
		for _, z := range c.V.Zones {
			loc, err := time.LoadLocation(z.V)
			if err != nil && w.err == nil {
				w.err = fmt.Errorf("realistic world: time zone of %s: %w", c.V.Code, err)
			}
			w.zones[z.V] = loc
		}
	}
	return w
}

// Start schedules the first arrival; each arrival schedules the next.
func (w *Realistic) Start(env sim.Env) error {
	if w.err != nil {
		return w.err
	}
	cfg := env.Config()
	if cfg.Invoices < 0 || cfg.Invoices > 0 && !cfg.End.After(cfg.Start) {
		return fmt.Errorf("realistic world: %d invoices between %s and %s", cfg.Invoices, cfg.Start, cfg.End)
	}
	w.env, w.cfg, w.left = env, cfg, cfg.Invoices
	w.window = cfg.Window
	if w.window <= 0 {
		w.window = w.p.DefaultWindow
	}
	// One draw from the run's source seeds the world's own: whatever else uses env.Rand later
	// cannot shift the world's draws.
	w.master = rand.New(rand.NewPCG(env.Rand().Uint64(), env.Rand().Uint64()))
	w.next()
	return nil
}

// next schedules the next arrival. The first failures are N sorted uniform times over
// [Start, End), drawn one at a time: the next is the minimum of the remaining uniforms above
// the last.
func (w *Realistic) next() {
	if w.left == 0 {
		return
	}
	v := 1 - w.master.Float64() // (0, 1]
	w.pos += (1 - w.pos) * (1 - math.Pow(v, 1/float64(w.left)))
	w.left--
	span := w.cfg.End.Sub(w.cfg.Start)
	t := w.cfg.Start.Add(time.Duration(w.pos * float64(span))).Truncate(time.Second)
	if t.Before(w.cfg.Start) {
		t = w.cfg.Start
	}
	if !t.Before(w.cfg.End) {
		t = w.cfg.End.Add(-time.Nanosecond)
	}
	w.env.At(t, w.arrive)
}

// arrive is a new customer's renewal payment failing.
func (w *Realistic) arrive() {
	w.n++
	r := rand.New(rand.NewPCG(w.master.Uint64(), w.master.Uint64()))
	w.open(newInvoice(w.n, w.cfg.IDPrefix, r, w.env.Now(), w.window, &w.p, w.zones, nil))
	w.next()
}

// open is a renewal payment failing: the measurement hears of it, Stripe sends the webhook,
// and the invoice's own happenings, and a returning customer's next failure, are scheduled.
func (w *Realistic) open(inv *invoice) {
	now := inv.t0
	w.active[inv.id] = inv
	w.byCustomer[inv.customer] = inv.id
	w.env.Failed(sim.Failure{InvoiceID: inv.id, Amount: recoup.Money{Amount: inv.amount, Currency: "usd"}, Category: inv.cat, At: now})
	w.recordCharge(inv, inv.cards[0])
	w.emit("invoice.payment_failed", inv.id, inv.customer, nil, nil)
	if inv.last.Status == "requires_action" {
		w.emit("invoice.payment_action_required", inv.id, inv.customer, nil, nil)
	}
	id := inv.id
	w.env.At(inv.end, func() { w.live(id) })
	for _, h := range []struct {
		at time.Time
		fn func(string)
	}{{inv.updaterAt, w.refresh}, {inv.ownAt, w.act}, {inv.leaveAt, w.leave}} {
		if !h.at.IsZero() && h.at.Before(inv.end) {
			fn := h.fn
			w.env.At(h.at, func() { fn(id) })
		}
	}
	w.planRenewal(inv)
	w.stripeFailed(inv)
}

// planRenewal schedules the next failure of a returning customer short of funds: the first
// monthly renewal after the invoice's window (one open invoice per customer at a time) at which
// their money is not there, before the failures' period ends. Whether the customer returns and
// when the renewal fails are drawn from the invoice's hidden state, so every policy meets the
// same renewals. A leaver who cancels renews no more; a renewal charges the card on file.
func (w *Realistic) planRenewal(inv *invoice) {
	if w.p.Returning == 0 || inv.base != funds || inv.cat != recoup.CategoryFunds || !inv.leaveAt.IsZero() {
		return
	}
	if inv.renewal == 0 && inv.uniform(streamReturn, 0) >= w.p.Returning {
		return
	}
	for k := inv.renewal + 1; ; k++ {
		t := addMonths(inv.anchor, k)
		if !t.Before(w.cfg.End) {
			return
		}
		if t.Before(inv.end) || inv.funded(t) {
			continue // within the invoice's window, or paid
		}
		r := rand.New(rand.NewPCG(inv.key, uint64(k)))
		next := newInvoice(inv.n, w.cfg.IDPrefix, r, t, w.window, &w.p, w.zones, inv)
		next.renewal, next.anchor = k, inv.anchor
		next.tag = fmt.Sprintf("%s%d_r%d", w.cfg.IDPrefix, inv.n, k)
		next.id = "in_" + next.tag
		w.env.At(t, func() { w.open(next) })
		return
	}
}

// addMonths is t k months later on the same day, or the month's last day when it is shorter (a
// subscription renewing on the 31st renews on the 30th in April).
func addMonths(t time.Time, k int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(k), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// live returns the active invoice id, first ending it if its window has passed (voided,
// unrecovered) or its leaver has cancelled; nil if it is not active.
func (w *Realistic) live(id string) *invoice {
	inv := w.active[id]
	if inv == nil {
		return nil
	}
	now := w.env.Now()
	if !inv.leaveAt.IsZero() && !now.Before(inv.leaveAt) && inv.leaveAt.Before(inv.end) {
		w.cancelByCustomer(inv, false)
		return nil
	}
	if !now.Before(inv.end) {
		inv.status = recoup.InvoiceVoid
		w.resolve(inv, sim.Unrecovered, "", false)
		w.emit("invoice.voided", inv.id, inv.customer, nil, nil)
		return nil
	}
	return inv
}

// Invoice returns the invoice as Stripe shows it.
func (w *Realistic) Invoice(_ context.Context, id string) (recoup.Invoice, error) {
	if inv := w.live(id); inv != nil {
		return inv.view(), nil
	}
	if t := w.tombs[id]; t != nil {
		return cloneInvoice(t.view), nil
	}
	return recoup.Invoice{}, recoup.Errorf(recoup.ENOTFOUND, "no such invoice: %s", id)
}

// Pay charges the invoice off-session on req.PaymentMethodID or the customer's default. A key
// seen before replays the first reply without a new charge.
func (w *Realistic) Pay(_ context.Context, req recoup.PayRequest) (recoup.PayResult, error) {
	inv := w.live(req.InvoiceID)
	if inv == nil {
		t := w.tombs[req.InvoiceID]
		if t == nil {
			return recoup.PayResult{}, recoup.Errorf(recoup.ENOTFOUND, "no such invoice: %s", req.InvoiceID)
		}
		if rep, ok := t.idem[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
			return clonePay(rep), nil
		}
		if t.view.Status == recoup.InvoicePaid {
			return recoup.PayResult{}, recoup.Errorf(recoup.EINVALID, "invoice is already paid")
		}
		return recoup.PayResult{}, recoup.Errorf(recoup.EINVALID, "invoice %s is %s and cannot be paid", req.InvoiceID, t.view.Status)
	}
	if rep, ok := inv.idem[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
		return clonePay(rep), nil
	}
	c, ok := inv.card(req.PaymentMethodID)
	if !ok {
		return recoup.PayResult{}, recoup.Errorf(recoup.EINVALID, "no such payment method %s for customer %s", req.PaymentMethodID, inv.customer)
	}
	res, by := w.charge(inv, c)
	if req.IdempotencyKey != "" {
		inv.idem[req.IdempotencyKey] = res
	}
	switch {
	case res.Paid:
		w.resolve(inv, sim.Recovered, by, false)
		w.emit("invoice.paid", inv.id, inv.customer, nil, nil)
	default:
		w.emit("invoice.payment_failed", inv.id, inv.customer, nil, nil)
		if inv.last.Status == "requires_action" {
			w.emit("invoice.payment_action_required", inv.id, inv.customer, nil, nil)
		}
	}
	return clonePay(res), nil
}

// charge makes one off-session charge on card c now, as the networks count it.
func (w *Realistic) charge(inv *invoice, c *card) (recoup.PayResult, sim.Mechanism) {
	now := w.env.Now()
	for _, b := range w.p.Networks.before(c, now) {
		w.env.Violation(sim.Violation{InvoiceID: inv.id, Rule: b.rule, Fee: b.fee})
	}
	ok, d, by := inv.judge(c, now, &w.p)
	c.charges = append(c.charges, now)
	inv.attempts++
	if ok {
		inv.status, inv.paidAt = recoup.InvoicePaid, now
		inv.last = &recoup.Payment{PaymentIntentID: inv.piID(), PaymentMethodID: c.pm, Status: "succeeded", At: now}
		w.recordCharge(inv, c)
		return recoup.PayResult{Paid: true, Invoice: inv.view()}, by
	}
	for _, b := range w.p.Networks.declined(c, now, d) {
		w.env.Violation(sim.Violation{InvoiceID: inv.id, Rule: b.rule, Fee: b.fee})
	}
	inv.last = &recoup.Payment{PaymentIntentID: inv.piID(), PaymentMethodID: c.pm, Status: paymentStatus(d), Decline: clone(&d), At: now}
	w.recordCharge(inv, c)
	return recoup.PayResult{Decline: clone(&d), Invoice: inv.view()}, ""
}

// CancelSubscription ends the subscription: the merchant gave up on the invoice, which is
// voided so that nothing collects it later.
func (w *Realistic) CancelSubscription(_ context.Context, subscriptionID, _ string) error {
	id := "in_" + strings.TrimPrefix(subscriptionID, "sub_")
	if inv := w.live(id); inv != nil && strings.HasPrefix(subscriptionID, "sub_") {
		inv.status = recoup.InvoiceVoid
		w.resolve(inv, sim.Lost, "", false)
		w.emit("customer.subscription.deleted", inv.sub, inv.customer, nil, nil)
		return nil
	}
	if w.tombs[id] != nil {
		return nil // already ended
	}
	return recoup.Errorf(recoup.ENOTFOUND, "no such subscription: %s", subscriptionID)
}

// MarkUncollectible writes the invoice off: unrecovered.
func (w *Realistic) MarkUncollectible(_ context.Context, invoiceID, _ string) error {
	if inv := w.live(invoiceID); inv != nil {
		inv.status = recoup.InvoiceUncollectible
		w.resolve(inv, sim.Unrecovered, "", false)
		w.emit("invoice.marked_uncollectible", inv.id, inv.customer, nil, nil)
		return nil
	}
	t := w.tombs[invoiceID]
	switch {
	case t == nil:
		return recoup.Errorf(recoup.ENOTFOUND, "no such invoice: %s", invoiceID)
	case t.view.Status != recoup.InvoiceUncollectible:
		return recoup.Errorf(recoup.EINVALID, "invoice %s is %s and cannot be marked uncollectible", invoiceID, t.view.Status)
	}
	return nil
}

// resolve seals the invoice's fate (once: it leaves the active set), with the oracle's verdict,
// and leaves a tombstone.
func (w *Realistic) resolve(inv *invoice, res sim.Result, by sim.Mechanism, lostToMessaging bool) {
	now := w.env.Now()
	o := sim.Outcome{InvoiceID: inv.id, Result: res, At: now, LostToMessaging: lostToMessaging, Oracle: inv.oracle(&w.p)}
	if res == sim.Recovered {
		o.By, o.Amount = by, inv.amount
	}
	w.recordInvoice(inv)
	delete(w.active, inv.id)
	if w.byCustomer[inv.customer] == inv.id {
		delete(w.byCustomer, inv.customer)
	}
	w.tombs[inv.id] = &tombstone{view: inv.view(), idem: inv.idem}
	id := inv.id
	w.env.At(now.Add(w.p.Tombstone), func() { delete(w.tombs, id) })
	w.env.Resolved(o)
}

// emit sends a Stripe event now.
func (w *Realistic) emit(typ, objectID, customerID string, changed []string, payload []byte) {
	w.events++
	if payload == nil {
		payload = []byte("{}")
	}
	w.env.Emit(recoup.Event{
		ID: fmt.Sprintf("evt_%s%d", w.cfg.IDPrefix, w.events), Type: typ, ObjectID: objectID, CustomerID: customerID,
		Changed: changed, Created: w.env.Now(), Payload: payload, Origin: recoup.OriginWebhook,
	})
}

// clonePay returns a copy the caller may change without touching the stored reply.
func clonePay(res recoup.PayResult) recoup.PayResult {
	res.Decline = clone(res.Decline)
	res.Invoice = cloneInvoice(res.Invoice)
	return res
}

func cloneInvoice(v recoup.Invoice) recoup.Invoice {
	if p := v.LastPayment; p != nil {
		c := *p
		c.Decline = clone(c.Decline)
		v.LastPayment = &c
	}
	return v
}
