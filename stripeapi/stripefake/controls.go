package stripefake

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// Test controls: Go methods that set up and change the fake's world as Stripe, the customer or
// the card network would. Creation methods panic on references to objects that do not exist
// (a bug in the test); scenario methods return errors. Every method that creates events
// returns after their webhooks were delivered (when delivery is on).

// CustomerParams describes a customer to create.
type CustomerParams struct {
	Email   string
	Name    string
	Country string // customer address country, e.g. "US"; "" for no address
	Phone   string // E.164; "" for none
	// Metadata is the customer's metadata (e.g. recoup_sms_consent: "yes").
	Metadata map[string]string
}

// CreateCustomer creates a customer (event customer.created) and returns its id.
func (s *Server) CreateCustomer(p CustomerParams) string {
	var id string
	s.op(func(now int64) error {
		c := &customer{id: s.st.newID("cus"), email: p.Email, name: p.Name, country: p.Country, created: now, seq: s.st.next(),
			phone: p.Phone, metadata: p.Metadata}
		s.st.customers[c.id] = c
		s.emit("customer.created", c.render(), nil, now, origin{})
		id = c.id
		return nil
	})
	return id
}

// PaymentMethodParams describes a card (or a bank debit) to attach to a customer.
type PaymentMethodParams struct {
	Customer string
	// Type is card (""), sepa_debit or us_bank_account; for a bank debit, Brand is the bank's
	// name and Last4 the account's.
	Type string
	// Fingerprint identifies the card or account: two methods with the same one are the same
	// card attached twice. Default: one of the method's own.
	Fingerprint string
	Brand       string // default "visa"
	Last4       string // default "4242"
	Funding     string // credit (default), debit, prepaid, unknown
	Country     string // the issuing country, default "US"
	ExpMonth    int    // default 12
	ExpYear     int    // default three years from now
	// Behaviour is what charging the card does when no scripted outcome is queued: Succeed()
	// (the zero value) or Declined(...).
	Behaviour Outcome
	// Default makes it the customer's invoice_settings.default_payment_method.
	Default bool
}

// CreatePaymentMethod creates a card attached to the customer (event payment_method.attached,
// and customer.updated when it becomes the default) and returns its id.
func (s *Server) CreatePaymentMethod(p PaymentMethodParams) string {
	var id string
	s.op(func(now int64) error {
		c := s.st.customers[p.Customer]
		if c == nil {
			panic(fmt.Sprintf("stripefake: CreatePaymentMethod: no customer %q", p.Customer))
		}
		pm := &paymentMethod{
			id: s.st.newID("pm"), customer: c.id, brand: p.Brand, last4: p.Last4, expMonth: p.ExpMonth,
			expYear: p.ExpYear, funding: cmp.Or(p.Funding, "credit"), country: cmp.Or(p.Country, "US"), created: now, seq: s.st.next(), behaviour: p.Behaviour,
		}
		pm.typ, pm.fingerprint = p.Type, cmp.Or(p.Fingerprint, "fp"+strings.TrimPrefix(pm.id, "pm"))
		if pm.brand == "" && pm.kind() == "card" {
			pm.brand = "visa"
		}
		if pm.last4 == "" {
			pm.last4 = "4242"
		}
		if pm.expMonth == 0 {
			pm.expMonth = 12
		}
		if pm.expYear == 0 {
			pm.expYear = time.Unix(now, 0).UTC().Year() + 3
		}
		s.st.paymentMethods[pm.id] = pm
		s.emit("payment_method.attached", pm.render(), nil, now, origin{})
		if p.Default {
			s.setDefaultPM(c, pm.id, now)
		}
		id = pm.id
		return nil
	})
	return id
}

// SetPaymentMethodBehaviour changes what charging the card does from now on.
func (s *Server) SetPaymentMethodBehaviour(paymentMethodID string, o Outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	pm := s.st.paymentMethods[paymentMethodID]
	if pm == nil {
		return fmt.Errorf("stripefake: no payment method %s", paymentMethodID)
	}
	pm.behaviour = o
	return nil
}

func (s *Server) setDefaultPM(c *customer, pmID string, now int64) {
	prev := map[string]any{"invoice_settings": map[string]any{"default_payment_method": nullable(c.defaultPM)}}
	c.defaultPM = pmID
	s.emit("customer.updated", c.render(), prev, now, origin{})
}

// UpdateDefaultPaymentMethod is the customer replacing their card in the Billing Portal: the
// card is attached if it is not (payment_method.attached) and becomes the customer's invoice
// default (customer.updated, previous_attributes invoice_settings.default_payment_method). As
// in Stripe, a subscription with its own default payment method keeps charging that one.
func (s *Server) UpdateDefaultPaymentMethod(customerID, paymentMethodID string) error {
	return s.op(func(now int64) error {
		c, pm := s.st.customers[customerID], s.st.paymentMethods[paymentMethodID]
		if c == nil || pm == nil {
			return fmt.Errorf("stripefake: no customer %s or payment method %s", customerID, paymentMethodID)
		}
		if pm.customer != c.id {
			pm.customer = c.id
			s.emit("payment_method.attached", pm.render(), nil, now, origin{})
		}
		s.setDefaultPM(c, pm.id, now)
		return nil
	})
}

// SubscriptionParams describes a subscription to create.
type SubscriptionParams struct {
	Customer             string
	DefaultPaymentMethod string // "" to charge the customer's default
	Status               string // default "active"
	Currency             string // default "usd"

	// CurrentPeriodEnd, when set, gives the subscription one item whose current period ends
	// then (the next renewal) at UnitAmount per period.
	CurrentPeriodEnd time.Time
	UnitAmount       int64
}

// CreateSubscription creates a subscription (customer.subscription.created) and returns its id.
func (s *Server) CreateSubscription(p SubscriptionParams) string {
	var id string
	s.op(func(now int64) error {
		if s.st.customers[p.Customer] == nil {
			panic(fmt.Sprintf("stripefake: CreateSubscription: no customer %q", p.Customer))
		}
		if p.DefaultPaymentMethod != "" && s.st.paymentMethods[p.DefaultPaymentMethod] == nil {
			panic(fmt.Sprintf("stripefake: CreateSubscription: no payment method %q", p.DefaultPaymentMethod))
		}
		sub := &subscription{
			id: s.st.newID("sub"), customer: p.Customer, status: p.Status, defaultPM: p.DefaultPaymentMethod,
			collectionMethod: "charge_automatically", currency: p.Currency, created: now, seq: s.st.next(),
			unitAmount: p.UnitAmount,
		}
		if !p.CurrentPeriodEnd.IsZero() {
			sub.periodEnd = p.CurrentPeriodEnd.Unix()
		}
		if sub.status == "" {
			sub.status = "active"
		}
		if sub.currency == "" {
			sub.currency = "usd"
		}
		s.st.subscriptions[sub.id] = sub
		s.emit("customer.subscription.created", sub.render(), nil, now, origin{})
		id = sub.id
		return nil
	})
	return id
}

// CardRefresh is what the card account updater learned from the card network about a card.
type CardRefresh struct {
	Last4             string // "" keeps the number
	ExpMonth, ExpYear int    // 0 keeps the expiry
	// Behaviour is what charging the refreshed card does from now on.
	Behaviour Outcome
}

// RefreshCard is Stripe's card account updater changing a saved card in place: the payment
// method keeps its id, takes the new number or expiry, and payment_method.automatically_updated
// is sent. Stripe's real-time updater may do it at the decline itself, in the decline's second,
// and sends its event in no particular order with the invoice's.
func (s *Server) RefreshCard(paymentMethodID string, r CardRefresh) error {
	return s.op(func(now int64) error {
		pm := s.st.paymentMethods[paymentMethodID]
		if pm == nil {
			return fmt.Errorf("stripefake: RefreshCard: no payment method %q", paymentMethodID)
		}
		if r.Last4 != "" {
			pm.last4 = r.Last4
		}
		if r.ExpMonth != 0 {
			pm.expMonth, pm.expYear = r.ExpMonth, r.ExpYear
		}
		pm.behaviour = r.Behaviour
		s.emit("payment_method.automatically_updated", pm.render(), nil, now, origin{})
		return nil
	})
}

// CardExpiring sends customer.source.expiring for the customer's card, as Stripe does at the
// start of the month in which a saved card expires.
func (s *Server) CardExpiring(paymentMethodID string) error {
	return s.op(func(now int64) error {
		pm := s.st.paymentMethods[paymentMethodID]
		if pm == nil {
			return fmt.Errorf("stripefake: CardExpiring: no payment method %q", paymentMethodID)
		}
		s.emit("customer.source.expiring", map[string]any{"id": pm.id, "object": "card", "customer": nullable(pm.customer),
			"brand": pm.brand, "last4": pm.last4, "exp_month": pm.expMonth, "exp_year": pm.expYear}, nil, now, origin{})
		return nil
	})
}

// UpdateSubscriptionPaymentMethod sets the subscription's own default payment method
// (customer.subscription.updated, previous_attributes default_payment_method).
func (s *Server) UpdateSubscriptionPaymentMethod(subscriptionID, paymentMethodID string) error {
	return s.op(func(now int64) error {
		sub := s.st.subscriptions[subscriptionID]
		if sub == nil || (paymentMethodID != "" && s.st.paymentMethods[paymentMethodID] == nil) {
			return fmt.Errorf("stripefake: no subscription %s or payment method %s", subscriptionID, paymentMethodID)
		}
		prev := map[string]any{"default_payment_method": nullable(sub.defaultPM)}
		sub.defaultPM = paymentMethodID
		s.emit("customer.subscription.updated", sub.render(), prev, now, origin{})
		return nil
	})
}

// InvoiceParams describes an invoice to create.
type InvoiceParams struct {
	Customer         string
	Subscription     string
	AmountDue        int64
	Currency         string // default the subscription's, else "usd"
	CollectionMethod string // default "charge_automatically"
	BillingReason    string // default "subscription_cycle" with a subscription, else "manual"
	Status           string // "open" (default: finalized) or "draft"
	CustomerEmail    string // default the customer's email

	// DueDate is the due_date of an invoice sent to be paid (send_invoice); zero: none.
	DueDate time.Time
}

// CreateInvoice creates an invoice with its PaymentIntent and default invoice payment
// (invoice.created, and invoice.finalized unless a draft) and returns its id.
func (s *Server) CreateInvoice(p InvoiceParams) string {
	var id string
	s.op(func(now int64) error {
		st := &s.st
		c := st.customers[p.Customer]
		if c == nil {
			panic(fmt.Sprintf("stripefake: CreateInvoice: no customer %q", p.Customer))
		}
		in := &invoice{
			id: st.newID("in"), customer: c.id, subscription: p.Subscription, status: p.Status,
			currency: p.Currency, collectionMethod: p.CollectionMethod, billingReason: p.BillingReason,
			customerEmail: p.CustomerEmail, amountDue: p.AmountDue, created: now, seq: st.next(), autoAdvance: true,
		}
		if !p.DueDate.IsZero() {
			in.dueDate = p.DueDate.Unix()
		}
		sub := st.subscriptions[p.Subscription]
		if p.Subscription != "" && sub == nil {
			panic(fmt.Sprintf("stripefake: CreateInvoice: no subscription %q", p.Subscription))
		}
		if in.status == "" {
			in.status = "open"
		}
		if in.currency == "" {
			in.currency = "usd"
			if sub != nil {
				in.currency = sub.currency
			}
		}
		if in.collectionMethod == "" {
			in.collectionMethod = "charge_automatically"
		}
		if in.billingReason == "" {
			in.billingReason = "manual"
			if sub != nil {
				in.billingReason = "subscription_cycle"
			}
		}
		if in.customerEmail == "" {
			in.customerEmail = c.email
		}
		pi := &paymentIntent{
			id: st.newID("pi"), customer: c.id, currency: in.currency, status: "requires_payment_method",
			amount: in.amountDue, created: now, seq: st.next(),
		}
		ip := &invoicePayment{
			id: st.newID("inpay"), invoice: in.id, paymentIntent: pi.id, currency: in.currency, status: "open",
			isDefault: true, amountRequested: in.amountDue, created: now, seq: st.next(),
		}
		st.paymentIntents[pi.id] = pi
		st.invoicePayments[ip.id] = ip
		in.payments = []string{ip.id}
		st.invoices[in.id] = in
		if sub != nil {
			sub.latestInvoice = in.id
		}
		s.emit("invoice.created", in.render(st), nil, now, origin{})
		if in.status == "open" {
			in.finalizedAt = now
			in.number = fmt.Sprintf("FAKE-%04d", len(st.invoices))
			s.emit("invoice.finalized", in.render(st), nil, now, origin{})
		}
		id = in.id
		return nil
	})
	return id
}

// FailRenewal records a failed automatic collection attempt by Stripe, as for a renewal:
// a failed charge on the invoice's PaymentIntent with d's codes, attempt_count + 1, and
// the subscription past_due; events charge.failed, payment_intent.payment_failed,
// invoice.payment_failed, invoice.updated and customer.subscription.updated.
func (s *Server) FailRenewal(invoiceID string, d Decline) error {
	return s.op(func(now int64) error {
		in, pm, err := s.collectable(invoiceID)
		if err != nil {
			return err
		}
		s.attempt(in, pm, Declined(d), now, origin{}, true)
		return nil
	})
}

// AutoRetry is one of Stripe's own automatic retries (Smart Retries): the invoice's default
// payment method is charged with its behaviour. It reports whether the invoice got paid.
// Stripe does not retry an invoice whose auto_advance is off (it was taken out of Stripe's
// automatic collection), so neither does AutoRetry: it returns an error and charges nothing.
func (s *Server) AutoRetry(invoiceID string) (paid bool, err error) {
	err = s.op(func(now int64) error {
		in, pm, err := s.collectable(invoiceID)
		if err != nil {
			return err
		}
		if !in.autoAdvance {
			return fmt.Errorf("stripefake: invoice %s has auto_advance false: Stripe does not retry it", invoiceID)
		}
		o := pm.behaviour
		if o.kind != outcomeDecline {
			o = Succeed()
		}
		if s.blocksRetry(pm, in.remaining(), now) {
			o = Declined(RetryBlocked())
		}
		paid = s.attempt(in, pm, o, now, origin{}, true).decline == nil
		return nil
	})
	return paid, err
}

// PayByCustomer is the customer paying on the hosted invoice page with the card: the charge
// succeeds (invoice.paid, invoice.payment_succeeded, ...).
func (s *Server) PayByCustomer(invoiceID, paymentMethodID string) error {
	return s.op(func(now int64) error {
		in := s.st.invoices[invoiceID]
		pm := s.st.paymentMethods[paymentMethodID]
		if in == nil || pm == nil {
			return fmt.Errorf("stripefake: no invoice %s or payment method %s", invoiceID, paymentMethodID)
		}
		if in.status != "open" && in.status != "uncollectible" {
			return fmt.Errorf("stripefake: invoice %s is %s", invoiceID, in.status)
		}
		s.attempt(in, pm, Succeed(), now, origin{}, false)
		return nil
	})
}

// PayPart is the customer paying part of an open invoice outside a card charge (Stripe's
// partial payments, a bank transfer reconciled to the invoice): amount_paid grows by amount,
// the invoice stays open with the rest to pay. As with Stripe's partial payments, the payment
// is an invoice payment of its own (type payment_record, no PaymentIntent), and the events are
// invoice_payment.paid and invoice.updated. amount must be less than what is left.
func (s *Server) PayPart(invoiceID string, amount int64) error {
	return s.op(func(now int64) error {
		in := s.st.invoices[invoiceID]
		if in == nil {
			return fmt.Errorf("stripefake: no invoice %s", invoiceID)
		}
		if in.status != "open" || amount <= 0 || amount >= in.remaining() {
			return fmt.Errorf("stripefake: invoice %s is %s with %d left: cannot pay %d of it", invoiceID, in.status, in.remaining(), amount)
		}
		st := &s.st
		ip := &invoicePayment{id: st.newID("inpay"), invoice: in.id, paymentRecord: st.newID("pr"), currency: in.currency,
			status: "paid", amountRequested: amount, amountPaid: amount, created: now, paidAt: now, seq: st.next()}
		st.invoicePayments[ip.id] = ip
		// Listed before the invoice's own payment, which later charges still use.
		last := len(in.payments) - 1
		in.payments = append(in.payments[:last:last], ip.id, in.payments[last])
		prev := map[string]any{"amount_paid": in.amountPaid, "amount_remaining": in.remaining()}
		in.amountPaid += amount
		s.emit("invoice_payment.paid", ip.render(), nil, now, origin{})
		s.emit("invoice.updated", in.render(st), prev, now, origin{})
		return nil
	})
}

// collectable returns an invoice that can be charged and the payment method Stripe would charge.
func (s *Server) collectable(invoiceID string) (*invoice, *paymentMethod, error) {
	in := s.st.invoices[invoiceID]
	if in == nil {
		return nil, nil, fmt.Errorf("stripefake: no invoice %s", invoiceID)
	}
	if in.status != "open" {
		return nil, nil, fmt.Errorf("stripefake: invoice %s is %s, not open", invoiceID, in.status)
	}
	pm, err := s.st.chargeableMethod(in, "")
	if err != nil {
		return nil, nil, fmt.Errorf("stripefake: invoice %s: %v", invoiceID, err)
	}
	return in, pm, nil
}

// ScriptPay queues outcomes for the next POST /v1/invoices/{id}/pay calls on the invoice, in
// order; each call that reaches the endpoint takes one (replays do not). With the queue empty,
// the charged card's behaviour decides.
func (s *Server) ScriptPay(invoiceID string, outcomes ...Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.scripts[invoiceID] = append(s.st.scripts[invoiceID], outcomes...)
}

// Void voids the invoice (invoice.voided), as an operator would in the Dashboard.
func (s *Server) Void(invoiceID string) error {
	return s.op(func(now int64) error {
		in := s.st.invoices[invoiceID]
		if in == nil {
			return fmt.Errorf("stripefake: no invoice %s", invoiceID)
		}
		return s.void(in, now, origin{})
	})
}

// CancelSubscription cancels the subscription outside recoup (customer.subscription.deleted).
func (s *Server) CancelSubscription(subscriptionID string) error {
	return s.op(func(now int64) error {
		sub := s.st.subscriptions[subscriptionID]
		if sub == nil || sub.status == "canceled" {
			return fmt.Errorf("stripefake: no active subscription %s", subscriptionID)
		}
		s.cancel(sub, now, origin{})
		return nil
	})
}

// FailNextRequests makes the next n API requests, whatever they are, fail with status before
// reaching the endpoint, as when Stripe is down (5xx) or rate-limits (429). Nothing happens
// and nothing is saved under their idempotency keys.
func (s *Server) FailNextRequests(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.st.failures = append(s.st.failures, status)
	}
}

// RefuseKey makes Stripe refuse the API key, as once the key is deleted, rolled past its
// expiry or mistyped: every request is answered 401 with Stripe's invalid_request_error,
// whose message quotes the key masked. RefuseKey(false) accepts the key again.
func (s *Server) RefuseKey(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.keyRefused = refuse
}

// DenyPermission makes Stripe refuse, as it does a restricted key without the permission,
// every request whose method is method and whose path starts with pathPrefix: 403 with an
// invalid_request_error naming the permission that would allow it (e.g.
// "rak_subscription_write"). The other requests work.
func (s *Server) DenyPermission(method, pathPrefix, permission string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.denials = append(s.st.denials, denialRule{method: method, pathPrefix: pathPrefix, permission: permission})
}

// denialRule is one DenyPermission.
type denialRule struct{ method, pathPrefix, permission string }

// HangRequests makes Stripe hold every request whose method is method and whose path starts
// with pathPrefix, unanswered and with no effect, until the client gives up or StopHanging;
// WaitHanging signals them. A test uses it to have a process die while its jobs wait on
// Stripe.
func (s *Server) HangRequests(method, pathPrefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.hangRules = append(s.st.hangRules, hangRule{method: method, pathPrefix: pathPrefix})
}

// StopHanging answers the requests HangRequests matches from now on; the ones already held
// stay held until their clients give up.
func (s *Server) StopHanging() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.hangRules = nil
}

// hangRule is one HangRequests.
type hangRule struct{ method, pathPrefix string }
