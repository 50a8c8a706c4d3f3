package stripefake

import (
	"fmt"
	"net/http"
	"strings"
)

// Decline is how a charge fails, in Stripe's terms. Zero fields take defaults: Code
// card_declined, a generic Message, OutcomeType issuer_declined, NetworkStatus
// declined_by_network.
type Decline struct {
	Code               string // card_declined, expired_card, processing_error, ...
	DeclineCode        string // insufficient_funds, do_not_honor, ...
	AdviceCode         string // try_again_later, do_not_try_again, confirm_card_data
	NetworkAdviceCode  string
	NetworkDeclineCode string
	Message            string
	OutcomeType        string // charge.outcome.type: issuer_declined, blocked, invalid
	NetworkStatus      string // charge.outcome.network_status
	// OutcomeReason is charge.outcome.reason; "" gives the decline code, as for an issuer decline.
	OutcomeReason string
}

// RetryBlocked is the decline of a Visa retry Stripe blocks as excessive (after the 15th
// retry, when it judges success unlikely): the error says only card_declined/generic_decline,
// and the charge's outcome says Stripe blocked it without sending it to the network
// (support.stripe.com/questions/payment-blocked-due-to-excessive-retries).
func RetryBlocked() Decline {
	return Decline{Code: "card_declined", DeclineCode: "generic_decline", Message: "Your card was declined.",
		OutcomeType: "blocked", NetworkStatus: "not_sent_to_network", OutcomeReason: "previously_declined_do_not_retry"}
}

// CardDeclined is the decline Stripe reports for an issuer decline code: code card_declined
// (or the code itself for the few that are their own error codes, such as expired_card).
func CardDeclined(declineCode string) Decline {
	d := Decline{Code: "card_declined", DeclineCode: declineCode}
	switch declineCode {
	case "expired_card", "incorrect_cvc", "processing_error", "incorrect_number":
		d.Code = declineCode
	}
	d.Message = declineMessage(declineCode)
	return d
}

// declineMessage is the message Stripe shows the customer for a decline code ("" for the
// generic one, filled in by withDefaults).
func declineMessage(declineCode string) string {
	switch declineCode {
	case "insufficient_funds":
		return "Your card has insufficient funds."
	case "expired_card":
		return "Your card has expired."
	case "incorrect_cvc":
		return "Your card's security code is incorrect."
	case "processing_error":
		return "An error occurred while processing your card. Try again in a little bit."
	case "incorrect_number":
		return "Your card number is incorrect."
	}
	return ""
}

func (d Decline) withDefaults() Decline {
	if d.Code == "" {
		d.Code = "card_declined"
	}
	if d.Message == "" {
		d.Message = "Your card was declined."
	}
	if d.OutcomeType == "" {
		d.OutcomeType = "issuer_declined"
	}
	if d.NetworkStatus == "" {
		d.NetworkStatus = "declined_by_network"
	}
	return d
}

type outcomeKind int

const (
	outcomeSucceed outcomeKind = iota
	outcomeDecline
	outcomeHTTPError
	outcomeHang
	outcomeLoseResponse
)

// Outcome is what one charge attempt does. The zero Outcome succeeds.
type Outcome struct {
	kind    outcomeKind
	decline Decline
	status  int
	inner   *Outcome
}

// Succeed charges the card.
func Succeed() Outcome { return Outcome{kind: outcomeSucceed} }

// Declined fails the charge with d: HTTP 402 card_error, as Stripe does.
func Declined(d Decline) Outcome { return Outcome{kind: outcomeDecline, decline: d} }

// HTTPError makes the pay endpoint fail with status (5xx: api_error) after it started: nothing
// is charged, and like Stripe the answer is saved under the idempotency key and replayed, with
// Stripe-Should-Retry: false. Only for ScriptPay.
func HTTPError(status int) Outcome { return Outcome{kind: outcomeHTTPError, status: status} }

// Hang never answers and charges nothing: the request is held until the client gives up
// (WaitHanging signals it is held). A request with the same key meanwhile gets a 409; after,
// the key is free. Only for ScriptPay.
func Hang() Outcome { return Outcome{kind: outcomeHang} }

// LoseResponse does o (a success or a decline), saves its answer under the idempotency key, then
// hangs instead of answering: the charge happened but the client never heard. A retry with the
// same key gets the saved answer. Only for ScriptPay.
func LoseResponse(o Outcome) Outcome {
	inner := o
	return Outcome{kind: outcomeLoseResponse, inner: &inner}
}

func (o Outcome) String() string {
	switch o.kind {
	case outcomeDecline:
		return "decline " + o.decline.withDefaults().Code + "/" + o.decline.DeclineCode
	case outcomeHTTPError:
		return fmt.Sprintf("HTTP %d", o.status)
	case outcomeHang:
		return "hang"
	case outcomeLoseResponse:
		return "lose response of " + o.inner.String()
	}
	return "succeed"
}

// origin says what caused a change, for the events' request field.
type origin struct{ requestID, key string }

// attemptResult is what a charge attempt did.
type attemptResult struct {
	charge  *charge
	decline *Decline // nil when it succeeded
}

// chargeableMethod is the payment method an attempt on the invoice charges: the one asked
// for, else the subscription's default, else the customer's invoice default.
func (st *state) chargeableMethod(in *invoice, requested string) (*paymentMethod, error) {
	if requested != "" {
		pm := st.paymentMethods[requested]
		if pm == nil {
			return nil, fmt.Errorf("No such PaymentMethod: '%s'", requested)
		}
		if pm.customer != in.customer {
			return nil, fmt.Errorf("The PaymentMethod %s does not belong to the invoice's customer %s.", requested, in.customer)
		}
		return pm, nil
	}
	if sub := st.subscriptions[in.subscription]; sub != nil && sub.defaultPM != "" {
		return st.paymentMethods[sub.defaultPM], nil
	}
	if c := st.customers[in.customer]; c != nil && c.defaultPM != "" {
		return st.paymentMethods[c.defaultPM], nil
	}
	return nil, fmt.Errorf("This customer has no attached payment source or default payment method. Please consider adding a default payment method.")
}

// attempt charges the invoice's PaymentIntent with pm, succeeding or declining as o says
// (o is a success or a decline), and records everything Stripe would: the charge, the
// intent's status and last_payment_error, the invoice's attempt count and payment, the
// subscription's status, and the events. now is the operation's one reading of the clock.
// auto says the attempt is Stripe's automatic collection: as Stripe documents attempt_count,
// any first attempt counts, and after it only automatic retries do, not a manual /pay or the
// customer paying on the hosted page.
func (s *Server) attempt(in *invoice, pm *paymentMethod, o Outcome, now int64, by origin, auto bool) attemptResult {
	st := &s.st
	ip := st.invoicePayments[in.payments[len(in.payments)-1]]
	pi := st.paymentIntents[ip.paymentIntent]
	ch := &charge{
		id: st.newID("ch"), customer: in.customer, paymentIntent: pi.id, paymentMethod: pm.id,
		currency: in.currency, amount: in.remaining(), created: now, seq: st.next(), card: cardDetails(pm),
	}
	st.charges[ch.id] = ch
	pi.latestCharge = ch.id
	prevInvoice := map[string]any{}
	if !in.attempted {
		prevInvoice["attempted"] = false
	}
	if auto || !in.attempted {
		prevInvoice["attempt_count"] = in.attemptCount
		in.attemptCount++
	}
	in.attempted = true
	sub := st.subscriptions[in.subscription]

	if o.kind == outcomeDecline {
		d := o.decline.withDefaults()
		ch.status = "failed"
		ch.failureCode, ch.failureMessage = d.Code, d.Message
		reason, seller := d.DeclineCode, "The bank did not return any further details with this decline."
		if d.OutcomeReason != "" {
			reason = d.OutcomeReason
		}
		if d.OutcomeType == "blocked" {
			seller = "Stripe blocked this payment."
		}
		ch.outcome = map[string]any{
			"type": d.OutcomeType, "network_status": d.NetworkStatus, "reason": nullable(reason),
			"risk_level": "normal", "risk_score": 20, "seller_message": seller,
			"advice_code": nullable(d.AdviceCode), "network_advice_code": nullable(d.NetworkAdviceCode),
			"network_decline_code": nullable(d.NetworkDeclineCode),
		}
		pi.status = "requires_payment_method"
		pi.paymentMethod = "" // Stripe keeps the failed method on last_payment_error only
		pi.lastError = &stripeError{
			Type: "card_error", Code: d.Code, DeclineCode: d.DeclineCode, AdviceCode: d.AdviceCode,
			NetworkAdviceCode: d.NetworkAdviceCode, NetworkDeclineCode: d.NetworkDeclineCode,
			Message: d.Message, Charge: ch.id, PaymentMethod: pm.render(),
			DocURL: "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(d.Code, "_", "-"),
		}
		s.emit("charge.failed", ch.render(), nil, now, by)
		s.emit("payment_intent.payment_failed", pi.render(), nil, now, by)
		s.emit("invoice.payment_failed", in.render(st), nil, now, by)
		s.emit("invoice.updated", in.render(st), prevInvoice, now, by)
		if sub != nil && sub.status == "active" {
			sub.status = "past_due"
			s.emit("customer.subscription.updated", sub.render(), map[string]any{"status": "active"}, now, by)
		}
		return attemptResult{charge: ch, decline: &d}
	}

	ch.status = "succeeded"
	ch.outcome = map[string]any{
		"type": "authorized", "network_status": "approved_by_network", "reason": nil, "risk_level": "normal",
		"risk_score": 20, "seller_message": "Payment complete.", "advice_code": nil,
		"network_advice_code": nil, "network_decline_code": nil,
	}
	pi.status, pi.paymentMethod, pi.lastError = "succeeded", pm.id, nil
	pi.amountReceived += ch.amount
	prevInvoice["status"] = in.status
	prevInvoice["amount_paid"] = in.amountPaid
	prevInvoice["amount_remaining"] = in.remaining()
	in.amountPaid = in.amountDue
	in.status, in.paidAt, in.nextPaymentAttempt = "paid", now, 0
	ip.status, ip.amountPaid, ip.paidAt = "paid", ch.amount, now
	st.succeeded[in.id]++
	s.emit("charge.succeeded", ch.render(), nil, now, by)
	s.emit("payment_intent.succeeded", pi.render(), nil, now, by)
	s.emit("invoice.updated", in.render(st), prevInvoice, now, by)
	s.emit("invoice.paid", in.render(st), nil, now, by)
	s.emit("invoice.payment_succeeded", in.render(st), nil, now, by)
	if sub != nil && (sub.status == "past_due" || sub.status == "unpaid") {
		prev := sub.status
		sub.status = "active"
		s.emit("customer.subscription.updated", sub.render(), map[string]any{"status": prev}, now, by)
	}
	return attemptResult{charge: ch}
}

// blocksRetry reports whether Stripe would block a charge of amount on pm now as an excessive
// Visa retry (Options.BlockVisaRetriesAfter): the card's declines by the network of that amount
// in the last 30 days since its latest success, less the first, reach the threshold. A charge
// Stripe did not send to the network is not counted.
func (s *Server) blocksRetry(pm *paymentMethod, amount, now int64) bool {
	after := s.opts.BlockVisaRetriesAfter
	if after <= 0 || pm.brand != "visa" {
		return false
	}
	var latestSuccess int64 = -1
	for _, ch := range s.st.charges {
		if ch.paymentMethod == pm.id && ch.status == "succeeded" && ch.seq > latestSuccess {
			latestSuccess = ch.seq
		}
	}
	declines := 0
	for _, ch := range s.st.charges {
		if ch.paymentMethod == pm.id && ch.status == "failed" && ch.seq > latestSuccess && ch.amount == amount &&
			now-ch.created < 30*24*60*60 && ch.outcome["network_status"] != "not_sent_to_network" {
			declines++
		}
	}
	return declines-1 >= after
}

// declineResponse is Stripe's 402 for a declined charge.
func declineResponse(st *state, res attemptResult, pmID, requestID string) response {
	d := *res.decline
	pi := st.paymentIntents[res.charge.paymentIntent]
	return errorResponse(http.StatusPaymentRequired, stripeError{
		Type: "card_error", Code: d.Code, DeclineCode: d.DeclineCode, AdviceCode: d.AdviceCode,
		NetworkAdviceCode: d.NetworkAdviceCode, NetworkDeclineCode: d.NetworkDeclineCode, Message: d.Message,
		Charge: res.charge.id, PaymentIntent: pi.render(), PaymentMethod: st.paymentMethods[pmID].render(),
		RequestLogURL: "https://dashboard.stripe.com/test/logs/" + requestID,
	})
}
