package stripefake

import (
	"fmt"
	"net/http"
)

func (s *Server) routes() {
	m := http.NewServeMux()
	h := func(pattern string, fn apiHandler) { m.Handle(pattern, s.serve(fn)) }
	h("GET /v1/customers/{id}", s.retrieve("customer"))
	h("GET /v1/customers", s.listCustomers)
	h("GET /v1/payment_methods/{id}", s.retrieve("payment_method"))
	h("GET /v1/payment_methods", s.listPaymentMethods)
	h("GET /v1/subscriptions/{id}", s.retrieve("subscription"))
	h("GET /v1/subscriptions", s.listSubscriptions)
	h("DELETE /v1/subscriptions/{id}", s.cancelSubscriptionAPI)
	h("POST /v1/subscriptions/{id}", s.updateSubscriptionAPI)
	h("GET /v1/invoices/{id}", s.retrieve("invoice"))
	h("GET /v1/invoices", s.listInvoices)
	h("POST /v1/invoices", s.createInvoiceAPI)
	h("POST /v1/invoices/{id}", s.updateInvoiceAPI)
	h("DELETE /v1/invoices/{id}", s.deleteInvoiceAPI)
	h("POST /v1/invoiceitems", s.createInvoiceItemAPI)
	h("POST /v1/invoices/{id}/pay", s.payInvoice)
	h("POST /v1/invoices/{id}/mark_uncollectible", s.markUncollectibleAPI)
	h("POST /v1/invoices/{id}/void", s.voidAPI)
	h("GET /v1/invoice_payments/{id}", s.retrieve("invoice_payment"))
	h("GET /v1/invoice_payments", s.listInvoicePayments)
	h("GET /v1/payment_intents/{id}", s.retrieve("payment_intent"))
	h("GET /v1/payment_intents", s.listPaymentIntents)
	h("GET /v1/charges/{id}", s.retrieve("charge"))
	h("GET /v1/charges", s.listCharges)
	h("GET /v1/events/{id}", s.retrieve("event"))
	h("GET /v1/events", s.listEvents)
	h("POST /v1/billing_portal/sessions", s.portalSession)
	h("/", func(q *request) response {
		return errorResponse(http.StatusNotFound, stripeError{Type: "invalid_request_error",
			Message: fmt.Sprintf("Unrecognized request URL (%s: %s). stripefake does not implement it.", q.r.Method, q.r.URL.Path)})
	})
	s.mux = m
}

// payInvoice is POST /v1/invoices/{id}/pay: the outcome is the invoice's next scripted one,
// else the charged payment method's behaviour.
func (s *Server) payInvoice(q *request) response {
	id := q.r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	in := st.invoices[id]
	if in == nil {
		return notFound("invoice", id)
	}
	switch in.status {
	case "paid":
		return invalid("Invoice is already paid")
	case "void":
		return invalid("You cannot pay a voided invoice.")
	case "draft":
		return invalid("You can only pay an invoice once it has been finalized.")
	}
	now, by := s.now(), origin{q.id, q.key}
	if q.param("paid_out_of_band") == "true" {
		s.markPaidOutOfBand(in, now, by)
		return jsonResponse(st.expandAll(in.render(st), q.expand))
	}
	pm, err := st.chargeableMethod(in, q.param("payment_method"))
	if err != nil {
		return invalid("%s", err)
	}
	o := pm.behaviour
	if queue := st.scripts[id]; len(queue) > 0 {
		o, st.scripts[id] = queue[0], queue[1:]
	}
	return s.payWith(q, in, pm, o, now, by)
}

func (s *Server) payWith(q *request, in *invoice, pm *paymentMethod, o Outcome, now int64, by origin) response {
	switch o.kind {
	case outcomeHTTPError:
		r := errorResponse(o.status, stripeError{Type: "api_error", Message: "An unknown error occurred."})
		r.header = map[string]string{"Stripe-Should-Retry": "false"}
		return r
	case outcomeHang:
		return response{hang: true}
	case outcomeLoseResponse:
		r := s.payWith(q, in, pm, *o.inner, now, by)
		r.hang, r.processed = true, true
		return r
	}
	if s.blocksRetry(pm, in.remaining(), now) {
		o = Declined(RetryBlocked())
	}
	res := s.attempt(in, pm, o, now, by, false)
	if res.decline != nil {
		return declineResponse(&s.st, res, pm.id, q.id)
	}
	return jsonResponse(s.st.expandAll(in.render(&s.st), q.expand))
}

func (s *Server) markPaidOutOfBand(in *invoice, now int64, by origin) {
	prev := map[string]any{"status": in.status, "amount_paid": in.amountPaid}
	in.amountPaidOffStripe = in.remaining()
	in.amountPaid = in.amountDue
	in.status, in.paidAt = "paid", now
	s.emit("invoice.updated", in.render(&s.st), prev, now, by)
	s.emit("invoice.paid", in.render(&s.st), nil, now, by)
}

// markUncollectibleAPI is POST /v1/invoices/{id}/mark_uncollectible.
func (s *Server) markUncollectibleAPI(q *request) response {
	id := q.r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.st.invoices[id]
	if in == nil {
		return notFound("invoice", id)
	}
	if in.status != "open" {
		return invalid("You can only mark an open invoice as uncollectible; invoice %s is %s.", id, in.status)
	}
	now := s.now()
	in.status, in.uncollectibleAt = "uncollectible", now
	s.emit("invoice.marked_uncollectible", in.render(&s.st), map[string]any{"status": "open"}, now, origin{q.id, q.key})
	return jsonResponse(s.st.expandAll(in.render(&s.st), q.expand))
}

// voidAPI is POST /v1/invoices/{id}/void.
func (s *Server) voidAPI(q *request) response {
	id := q.r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.st.invoices[id]
	if in == nil {
		return notFound("invoice", id)
	}
	if err := s.void(in, s.now(), origin{q.id, q.key}); err != nil {
		return invalid("%s", err)
	}
	return jsonResponse(s.st.expandAll(in.render(&s.st), q.expand))
}

func (s *Server) void(in *invoice, now int64, by origin) error {
	if in.status != "open" && in.status != "uncollectible" {
		return fmt.Errorf("You can only void an open or uncollectible invoice; invoice %s is %s.", in.id, in.status)
	}
	prev := in.status
	in.status, in.voidedAt = "void", now
	for _, ipID := range in.payments {
		ip := s.st.invoicePayments[ipID]
		if ip.status == "open" {
			ip.status, ip.canceledAt = "canceled", now
			if pi := s.st.paymentIntents[ip.paymentIntent]; pi != nil {
				pi.status, pi.canceledAt = "canceled", now
			}
		}
	}
	s.emit("invoice.voided", in.render(&s.st), map[string]any{"status": prev}, now, by)
	return nil
}

// cancelSubscriptionAPI is DELETE /v1/subscriptions/{id}. Like Stripe, it answers "no such
// subscription" for one that is already cancelled.
func (s *Server) cancelSubscriptionAPI(q *request) response {
	id := q.r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.st.subscriptions[id]
	if sub == nil || sub.status == "canceled" {
		return notFound("subscription", id)
	}
	s.cancel(sub, s.now(), origin{q.id, q.key})
	return jsonResponse(s.st.expandAll(sub.render(), q.expand))
}

func (s *Server) cancel(sub *subscription, now int64, by origin) {
	sub.status, sub.canceledAt, sub.cancelReason = "canceled", now, "cancellation_requested"
	s.emit("customer.subscription.deleted", sub.render(), nil, now, by)
}
