package stripefake

import "fmt"

// The fake's objects hold what the fake needs; their render methods produce Stripe's JSON
// (API 2025-03-31 and later: invoices reach their PaymentIntents through payments, their
// subscription through parent.subscription_details). Expandable fields render as ids; see
// expand in read.go.

type customer struct {
	id, email, name, country string
	created, seq             int64
	defaultPM                string
	phone                    string
	metadata                 map[string]string
}

func (c *customer) render() map[string]any {
	var address any
	metadata := map[string]any{}
	for k, v := range c.metadata {
		metadata[k] = v
	}
	if c.country != "" {
		address = map[string]any{"city": nil, "country": c.country, "line1": nil, "line2": nil, "postal_code": nil, "state": nil}
	}
	return map[string]any{
		"id": c.id, "object": "customer", "address": address, "balance": 0, "created": c.created,
		"currency": "usd", "default_source": nil, "delinquent": false, "description": nil,
		"email": nullable(c.email), "name": nullable(c.name), "livemode": false, "metadata": metadata,
		"phone": nullable(c.phone),
		"invoice_settings": map[string]any{
			"custom_fields": nil, "default_payment_method": nullable(c.defaultPM), "footer": nil, "rendering_options": nil,
		},
	}
}

type paymentMethod struct {
	id, customer, brand, last4 string
	typ, fingerprint           string // type: card (""), sepa_debit or us_bank_account
	funding, country           string // card.funding, card.country (the issuer's)
	expMonth, expYear          int
	created, seq               int64
	behaviour                  Outcome // what charging it does, unless a script says otherwise
}

func (p *paymentMethod) render() map[string]any {
	out := map[string]any{
		"id": p.id, "object": "payment_method", "type": p.kind(), "created": p.created,
		"customer": nullable(p.customer), "livemode": false, "metadata": map[string]any{},
		"billing_details": map[string]any{"address": nil, "email": nil, "name": nil, "phone": nil},
	}
	switch p.kind() {
	case "sepa_debit":
		out["sepa_debit"] = map[string]any{"bank_code": "37040044", "branch_code": nil, "country": p.country,
			"fingerprint": p.fingerprint, "last4": p.last4, "generated_from": nil}
	case "us_bank_account":
		out["us_bank_account"] = map[string]any{"account_holder_type": "individual", "account_type": "checking",
			"bank_name": p.brand, "fingerprint": p.fingerprint, "last4": p.last4, "routing_number": "110000000",
			"financial_connections_account": nil, "networks": map[string]any{"preferred": "ach", "supported": []string{"ach"}}}
	default:
		out["card"] = map[string]any{
			"brand": p.brand, "display_brand": p.brand, "country": p.country, "funding": p.funding,
			"exp_month": p.expMonth, "exp_year": p.expYear, "last4": p.last4, "fingerprint": p.fingerprint,
			"networks": map[string]any{"available": []string{p.brand}, "preferred": nil},
		}
	}
	return out
}

// kind is the payment method's type.
func (p *paymentMethod) kind() string {
	if p.typ == "" {
		return "card"
	}
	return p.typ
}

type subscription struct {
	id, customer, status, defaultPM, collectionMethod, currency, latestInvoice string
	created, seq, canceledAt                                                   int64
	cancelReason                                                               string
	periodEnd, unitAmount                                                      int64  // the one item's, when periodEnd is set
	pauseBehavior                                                              string // pause_collection.behavior; "" when not paused
}

func (s *subscription) render() map[string]any {
	return map[string]any{
		"id": s.id, "object": "subscription", "customer": s.customer, "status": s.status,
		"default_payment_method": nullable(s.defaultPM), "default_source": nil,
		"collection_method": s.collectionMethod, "currency": s.currency, "created": s.created,
		"start_date": s.created, "cancel_at": nil, "cancel_at_period_end": false,
		"canceled_at": nullableTime(s.canceledAt), "ended_at": nullableTime(s.canceledAt),
		"cancellation_details": map[string]any{"comment": nil, "feedback": nil, "reason": nullable(s.cancelReason)},
		"latest_invoice":       nullable(s.latestInvoice), "livemode": false, "metadata": map[string]any{},
		"pause_collection": s.renderPause(),
		"items": map[string]any{"object": "list", "data": s.renderItems(), "has_more": false,
			"url": "/v1/subscription_items?subscription=" + s.id},
	}
}

// renderItems is the subscription's one item when it has a current period, else none.
func (s *subscription) renderItems() []any {
	if s.periodEnd == 0 {
		return []any{}
	}
	return []any{map[string]any{
		"id": "si_" + s.id[len("sub_"):], "object": "subscription_item", "subscription": s.id, "quantity": 1,
		"current_period_start": s.created, "current_period_end": s.periodEnd, "created": s.created, "metadata": map[string]any{},
		"price": map[string]any{"id": "price_" + s.id[len("sub_"):], "object": "price", "currency": s.currency,
			"unit_amount": s.unitAmount, "active": true, "type": "recurring", "livemode": false, "metadata": map[string]any{}},
	}}
}

type invoice struct {
	id, customer, customerEmail, subscription, status, currency  string
	collectionMethod, billingReason, number                      string
	amountDue, amountPaid, amountPaidOffStripe                   int64
	attemptCount                                                 int
	attempted                                                    bool
	nextPaymentAttempt                                           int64
	created, seq, finalizedAt, paidAt, voidedAt, uncollectibleAt int64
	payments                                                     []string // invoice payment ids, oldest first
	dueDate                                                      int64    // send_invoice: due_date; 0: none
	// autoAdvance: Stripe drives the invoice by itself (finalizes a draft at finalizesAt, or
	// an hour after creation, and charges it); never on a paid, void or uncollectible one.
	autoAdvance bool
	finalizesAt int64 // automatically_finalizes_at of a draft; 0: none
	description string
	metadata    map[string]string
}

func (in *invoice) remaining() int64 {
	if in.status == "paid" || in.status == "void" {
		return 0
	}
	return in.amountDue - in.amountPaid
}

func (in *invoice) render(st *state) map[string]any {
	var parent any
	if in.subscription != "" {
		parent = map[string]any{
			"type":                 "subscription_details",
			"quote_details":        nil,
			"subscription_details": map[string]any{"metadata": map[string]any{}, "subscription": in.subscription},
		}
	}
	var address any
	if c := st.customers[in.customer]; c != nil && c.country != "" {
		address = map[string]any{"city": nil, "country": c.country, "line1": nil, "line2": nil, "postal_code": nil, "state": nil}
	}
	var finalizesAt any
	if in.status == "draft" {
		finalizesAt = nullableTime(in.finalizesAt)
	}
	metadata := map[string]any{}
	for k, v := range in.metadata {
		metadata[k] = v
	}
	var hosted any
	if in.status != "draft" {
		hosted = "https://invoice.stripe.com/i/fake/" + in.id
	}
	return map[string]any{
		"id": in.id, "object": "invoice", "account_country": "US", "customer": in.customer,
		"customer_email": nullable(in.customerEmail), "customer_address": address, "customer_name": nil,
		"status": in.status, "currency": in.currency, "collection_method": in.collectionMethod,
		"billing_reason": in.billingReason, "number": nullable(in.number),
		"amount_due": in.amountDue, "amount_paid": in.amountPaid, "amount_remaining": in.remaining(),
		"amount_overpaid": 0, "amount_paid_off_stripe": in.amountPaidOffStripe, "amount_shipping": 0,
		"subtotal": in.amountDue, "total": in.amountDue, "attempt_count": in.attemptCount,
		"attempted": in.attempted, "auto_advance": in.autoAdvance && (in.status == "draft" || in.status == "open"),
		"automatically_finalizes_at": finalizesAt, "created": in.created,
		"period_start": in.created, "period_end": in.created, "due_date": nullableTime(in.dueDate),
		"next_payment_attempt": nullableTime(in.nextPaymentAttempt), "hosted_invoice_url": hosted,
		"livemode": false, "metadata": metadata, "parent": parent,
		"default_payment_method": nil, "default_source": nil, "description": nullable(in.description),
		"status_transitions": map[string]any{
			"finalized_at": nullableTime(in.finalizedAt), "paid_at": nullableTime(in.paidAt),
			"voided_at": nullableTime(in.voidedAt), "marked_uncollectible_at": nullableTime(in.uncollectibleAt),
		},
		"lines": map[string]any{"object": "list", "data": []any{}, "has_more": false,
			"url": fmt.Sprintf("/v1/invoices/%s/lines", in.id)},
	}
}

// renderPayments is the invoice's includable payments list (expand[]=payments).
func (in *invoice) renderPayments(st *state) map[string]any {
	data := []any{}
	for i := len(in.payments) - 1; i >= 0; i-- { // newest first
		data = append(data, st.invoicePayments[in.payments[i]].render())
	}
	return map[string]any{"object": "list", "data": data, "has_more": false,
		"url": "/v1/invoice_payments?invoice=" + in.id}
}

type invoicePayment struct {
	id, invoice, paymentIntent, currency, status string
	paymentRecord                                string // a payment made outside Stripe's charge (PayPart): no PaymentIntent
	isDefault                                    bool
	amountRequested, amountPaid                  int64
	created, seq, paidAt, canceledAt             int64
}

func (ip *invoicePayment) render() map[string]any {
	var paid any
	if ip.status == "paid" {
		paid = ip.amountPaid
	}
	payment := map[string]any{"type": "payment_intent", "payment_intent": ip.paymentIntent}
	if ip.paymentRecord != "" {
		payment = map[string]any{"type": "payment_record", "payment_record": ip.paymentRecord}
	}
	return map[string]any{
		"id": ip.id, "object": "invoice_payment", "invoice": ip.invoice, "is_default": ip.isDefault,
		"amount_requested": ip.amountRequested, "amount_paid": paid, "currency": ip.currency,
		"created": ip.created, "livemode": false, "status": ip.status,
		"payment":            payment,
		"status_transitions": map[string]any{"paid_at": nullableTime(ip.paidAt), "canceled_at": nullableTime(ip.canceledAt)},
	}
}

type paymentIntent struct {
	id, customer, currency, status, paymentMethod, latestCharge string
	amount, amountReceived                                      int64
	created, seq, canceledAt                                    int64
	lastError                                                   *stripeError // last_payment_error, payment_method rendered
}

func (pi *paymentIntent) render() map[string]any {
	var lastErr any
	if pi.lastError != nil {
		lastErr = pi.lastError
	}
	return map[string]any{
		"id": pi.id, "object": "payment_intent", "amount": pi.amount, "amount_capturable": 0,
		"amount_received": pi.amountReceived, "currency": pi.currency, "customer": nullable(pi.customer),
		"status": pi.status, "payment_method": nullable(pi.paymentMethod), "latest_charge": nullable(pi.latestCharge),
		"last_payment_error": lastErr, "created": pi.created, "canceled_at": nullableTime(pi.canceledAt),
		"capture_method": "automatic", "confirmation_method": "automatic", "setup_future_usage": "off_session",
		"payment_method_types": []string{"card"}, "livemode": false, "metadata": map[string]any{},
		"description": nil, "next_action": nil, "client_secret": pi.id + "_secret_fake",
	}
}

type charge struct {
	id, customer, paymentIntent, paymentMethod, currency, status string
	amount                                                       int64
	created, seq                                                 int64
	failureCode, failureMessage                                  string
	outcome                                                      map[string]any
	card                                                         map[string]any // payment_method_details.card
}

func (c *charge) render() map[string]any {
	succeeded := c.status == "succeeded"
	captured := int64(0)
	if succeeded {
		captured = c.amount
	}
	return map[string]any{
		"id": c.id, "object": "charge", "amount": c.amount, "amount_captured": captured, "amount_refunded": 0,
		"captured": succeeded, "paid": succeeded, "refunded": false, "status": c.status, "currency": c.currency,
		"customer": nullable(c.customer), "payment_intent": nullable(c.paymentIntent),
		"payment_method": nullable(c.paymentMethod), "created": c.created, "livemode": false,
		"failure_code": nullable(c.failureCode), "failure_message": nullable(c.failureMessage),
		"outcome": c.outcome, "metadata": map[string]any{}, "description": nil,
		"payment_method_details": map[string]any{"type": "card", "card": c.card},
	}
}

// cardDetails is a charge's payment_method_details.card for the payment method.
func cardDetails(pm *paymentMethod) map[string]any {
	return map[string]any{
		"brand": pm.brand, "last4": pm.last4, "exp_month": pm.expMonth, "exp_year": pm.expYear,
		"country": pm.country, "funding": pm.funding, "network": pm.brand,
		"checks": map[string]any{"address_line1_check": nil, "address_postal_code_check": nil, "cvc_check": nil},
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullableTime(t int64) any {
	if t == 0 {
		return nil
	}
	return t
}
