package engine_test

import (
	"context"
	"sync"

	"github.com/recoup-hq/recoup"
)

// fakeGateway is an in-memory Stripe for engine tests: invoices, scripted charge outcomes,
// idempotent replay by key, and hooks to simulate a crash around the call.
type fakeGateway struct {
	h  *harness
	mu sync.Mutex
	// invoices by id; tests edit them to play Stripe and the customer.
	invoices map[string]*recoup.Invoice
	// outcomes are the next charge outcomes per invoice: nil succeeds, a *Decline declines,
	// errUnavailable fails without a verdict. Empty: decline with insufficient funds.
	outcomes map[string][]any
	replays  map[string]recoup.PayResult
	charges  map[string]int // successful charges per invoice (must never exceed 1)
	calls    []recoup.PayRequest
	canceled []string
	written  []string
	// atPeriodEnd and paused list the subscriptions set to cancel at period end and paused.
	atPeriodEnd, paused []string
	// beforePay and afterPay, when set, run around a charge; returning an error aborts there,
	// as a crash would.
	beforePay, afterPay func(req recoup.PayRequest) error
	// cardSwitches records UseCard calls; cardSwitchErr, when set, is returned (and cleared).
	cardSwitches  []cardSwitchCall
	cardSwitchErr error
	// defaults are the customers' default payment methods, which a charge naming none runs on;
	// a customer without one is charged on the invoice's last card.
	defaults map[string]string
	// saved are the customers' saved payment methods (backup_test.go); listed counts the
	// listings, listErr fails the next one.
	saved   map[string][]recoup.SavedMethod
	listed  int
	listErr error
}

var errUnavailable = recoup.Errorf(recoup.EUNAVAILABLE, "stripe: 500 internal error")

func newFakeGateway(h *harness) *fakeGateway {
	return &fakeGateway{h: h, invoices: map[string]*recoup.Invoice{}, outcomes: map[string][]any{},
		replays: map[string]recoup.PayResult{}, charges: map[string]int{}}
}

// failRenewal creates an open invoice whose automatic charge just failed with d.
func (g *fakeGateway) failRenewal(id, customer string, amount int64, d *recoup.Decline) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.invoices[id] = &recoup.Invoice{
		ID: id, CustomerID: customer, SubscriptionID: "sub_" + id, Status: recoup.InvoiceOpen,
		AmountDue: amount, AmountRemaining: amount, Currency: "usd", AttemptCount: 1, Attempted: true,
		CollectionMethod: "charge_automatically", Created: g.h.now,
		LastPayment: &recoup.Payment{PaymentIntentID: "pi_" + id, PaymentMethodID: "pm_old", Status: "requires_payment_method", Decline: d, At: g.h.now},
	}
}

func (g *fakeGateway) script(invoiceID string, outcomes ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.outcomes[invoiceID] = append(g.outcomes[invoiceID], outcomes...)
}

func (g *fakeGateway) Invoice(_ context.Context, id string) (recoup.Invoice, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv, ok := g.invoices[id]
	if !ok {
		return recoup.Invoice{}, recoup.Errorf(recoup.ENOTFOUND, "no invoice %s", id)
	}
	return *inv, nil
}

func (g *fakeGateway) Pay(_ context.Context, req recoup.PayRequest) (recoup.PayResult, error) {
	if g.beforePay != nil {
		if err := g.beforePay(req); err != nil {
			return recoup.PayResult{}, err
		}
	}
	res, err := g.pay(req)
	if g.afterPay != nil {
		if err := g.afterPay(req); err != nil {
			return recoup.PayResult{}, err
		}
	}
	return res, err
}

func (g *fakeGateway) pay(req recoup.PayRequest) (recoup.PayResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, req)
	if res, ok := g.replays[req.IdempotencyKey]; ok {
		return res, nil
	}
	inv := g.invoices[req.InvoiceID]
	if inv.Status != recoup.InvoiceOpen {
		return recoup.PayResult{}, recoup.Errorf(recoup.EINVALID, "invoice is %s", inv.Status)
	}
	var outcome any = &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds"}
	if q := g.outcomes[req.InvoiceID]; len(q) > 0 {
		outcome, g.outcomes[req.InvoiceID] = q[0], q[1:]
	}
	if err, ok := outcome.(error); ok {
		return recoup.PayResult{}, err
	}
	pm := req.PaymentMethodID
	if pm == "" {
		pm = inv.LastPayment.PaymentMethodID
		if d := g.defaults[inv.CustomerID]; d != "" {
			pm = d
		}
	}
	inv.AttemptCount++
	inv.LastPayment = &recoup.Payment{PaymentIntentID: inv.LastPayment.PaymentIntentID, PaymentMethodID: pm, At: g.h.now}
	var res recoup.PayResult
	if d, ok := outcome.(*recoup.Decline); ok && d != nil {
		inv.LastPayment.Status, inv.LastPayment.Decline = "requires_payment_method", d
		res = recoup.PayResult{Decline: d, Invoice: *inv}
	} else {
		g.charges[req.InvoiceID]++
		inv.Status, inv.AmountPaid, inv.AmountRemaining, inv.PaidAt = recoup.InvoicePaid, inv.AmountDue, 0, g.h.now
		inv.LastPayment.Status = "succeeded"
		res = recoup.PayResult{Paid: true, Invoice: *inv}
	}
	g.replays[req.IdempotencyKey] = res
	return res, nil
}

func (g *fakeGateway) CancelSubscription(_ context.Context, sub, _ string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.canceled = append(g.canceled, sub)
	return nil
}

func (g *fakeGateway) MarkUncollectible(_ context.Context, id, _ string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.written = append(g.written, id)
	g.invoices[id].Status = recoup.InvoiceUncollectible
	return nil
}

// payByCustomer settles the invoice as the customer would on the hosted page, with pm.
func (g *fakeGateway) payByCustomer(id, pm string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv := g.invoices[id]
	g.charges[id]++
	inv.AttemptCount++
	inv.Status, inv.AmountPaid, inv.AmountRemaining = recoup.InvoicePaid, inv.AmountDue, 0
	inv.LastPayment = &recoup.Payment{PaymentMethodID: pm, Status: "succeeded", At: g.h.now}
}

// failedOn records a failed attempt on the invoice with payment method pm, made outside recoup
// (Stripe, or the customer on the hosted page).
func (g *fakeGateway) failedOn(id, pm string, d *recoup.Decline) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv := g.invoices[id]
	inv.AttemptCount++
	inv.LastPayment = &recoup.Payment{PaymentMethodID: pm, Status: "requires_payment_method", Decline: d, At: g.h.now}
}

// CancelAtPeriodEnd and PauseCollection make the fake a recoup.SubscriptionGateway.
func (g *fakeGateway) CancelAtPeriodEnd(_ context.Context, sub, _ string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.atPeriodEnd = append(g.atPeriodEnd, sub)
	return nil
}

func (g *fakeGateway) PauseCollection(_ context.Context, sub, _ string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.paused = append(g.paused, sub)
	return nil
}
