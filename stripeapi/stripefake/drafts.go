package stripefake

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Invoices made through the API, as a payment plan makes them: a draft (POST /v1/invoices),
// its amount as an invoice item (POST /v1/invoiceitems), an update that turns Stripe's
// automatic advancement on (POST /v1/invoices/{id}), and the deletion of a draft (DELETE
// /v1/invoices/{id}). Stripe's side of automatic advancement, finalizing a due draft and
// charging it, is the RunScheduledInvoices control.

// createInvoiceAPI is POST /v1/invoices: a draft of the customer's with no amount yet. Like
// Stripe since 2018-11-08, auto_advance defaults to false for an invoice made through the API.
func (s *Server) createInvoiceAPI(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	c := st.customers[q.param("customer")]
	if c == nil {
		return errorResponse(http.StatusBadRequest, stripeError{Type: "invalid_request_error", Code: "resource_missing",
			Param: "customer", Message: fmt.Sprintf("No such customer: '%s'", q.param("customer"))})
	}
	now := s.now()
	in := &invoice{
		id: st.newID("in"), customer: c.id, status: "draft", currency: q.param("currency"),
		collectionMethod: q.param("collection_method"), billingReason: "manual", customerEmail: c.email,
		created: now, seq: st.next(), autoAdvance: q.param("auto_advance") == "true",
		description: q.param("description"), metadata: formMap(q.form, "metadata"),
	}
	if in.currency == "" {
		in.currency = "usd"
	}
	if in.collectionMethod == "" {
		in.collectionMethod = "charge_automatically"
	}
	if r, ok := setFinalizesAt(in, q, now); !ok {
		return r
	}
	st.invoices[in.id] = in
	s.emit("invoice.created", in.render(st), nil, now, origin{q.id, q.key})
	return jsonResponse(st.expandAll(in.render(st), q.expand))
}

// setFinalizesAt applies automatically_finalizes_at, which Stripe wants in the future.
func setFinalizesAt(in *invoice, q *request, now int64) (response, bool) {
	v := q.param("automatically_finalizes_at")
	if v == "" {
		return response{}, true
	}
	at, err := strconv.ParseInt(v, 10, 64)
	if err != nil || at <= now {
		return errorResponse(http.StatusBadRequest, stripeError{Type: "invalid_request_error", Param: "automatically_finalizes_at",
			Message: "automatically_finalizes_at must be a timestamp in the future."}), false
	}
	in.finalizesAt = at
	return response{}, true
}

// createInvoiceItemAPI is POST /v1/invoiceitems with an invoice: the amount is added to that
// draft. Pending items (no invoice) are not modelled.
func (s *Server) createInvoiceItemAPI(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	in := st.invoices[q.param("invoice")]
	switch {
	case in == nil:
		return errorResponse(http.StatusBadRequest, stripeError{Type: "invalid_request_error", Code: "resource_missing",
			Param: "invoice", Message: fmt.Sprintf("No such invoice: '%s'", q.param("invoice"))})
	case in.customer != q.param("customer"):
		return invalid("The invoice %s does not belong to customer %s.", in.id, q.param("customer"))
	case in.status != "draft":
		return errorResponse(http.StatusBadRequest, stripeError{Type: "invalid_request_error", Code: "invoice_not_editable",
			Message: fmt.Sprintf("You can only add invoice items to draft invoices; invoice %s is %s.", in.id, in.status)})
	}
	amount, err := strconv.ParseInt(q.param("amount"), 10, 64)
	if err != nil {
		return invalid("Invalid integer: %s", q.param("amount"))
	}
	now := s.now()
	in.amountDue += amount
	item := map[string]any{
		"id": st.newID("ii"), "object": "invoiceitem", "amount": amount, "currency": in.currency,
		"customer": in.customer, "invoice": in.id, "description": nullable(q.param("description")),
		"date": now, "livemode": false, "metadata": map[string]any{}, "quantity": 1,
	}
	return jsonResponse(item)
}

// updateInvoiceAPI is POST /v1/invoices/{id}: auto_advance (draft or open invoices only),
// automatically_finalizes_at (drafts only), description and metadata.
func (s *Server) updateInvoiceAPI(q *request) response {
	id := q.r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	in := st.invoices[id]
	if in == nil {
		return notFound("invoice", id)
	}
	now := s.now()
	prev := map[string]any{}
	if v := q.param("auto_advance"); v != "" {
		if in.status != "draft" && in.status != "open" {
			return invalid("You can only update auto_advance on a draft or open invoice; invoice %s is %s.", id, in.status)
		}
		prev["auto_advance"] = in.autoAdvance
		in.autoAdvance = v == "true"
	}
	if q.param("automatically_finalizes_at") != "" {
		if in.status != "draft" {
			return invalid("You can only set automatically_finalizes_at on a draft invoice; invoice %s is %s.", id, in.status)
		}
		if r, ok := setFinalizesAt(in, q, now); !ok {
			return r
		}
	}
	if v, ok := q.form["description"]; ok && len(v) > 0 {
		in.description = v[0]
	}
	for k, v := range formMap(q.form, "metadata") {
		if in.metadata == nil {
			in.metadata = map[string]string{}
		}
		in.metadata[k] = v
	}
	s.emit("invoice.updated", in.render(st), prev, now, origin{q.id, q.key})
	return jsonResponse(st.expandAll(in.render(st), q.expand))
}

// deleteInvoiceAPI is DELETE /v1/invoices/{id}: only a draft can be deleted (a finalized
// invoice must be voided); it is gone afterwards.
func (s *Server) deleteInvoiceAPI(q *request) response {
	id := q.r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.st.invoices[id]
	if in == nil {
		return notFound("invoice", id)
	}
	if in.status != "draft" {
		return invalid("You can only delete draft invoices; invoice %s is %s. Void it instead.", id, in.status)
	}
	delete(s.st.invoices, id)
	s.emit("invoice.deleted", in.render(&s.st), nil, s.now(), origin{q.id, q.key})
	return jsonResponse(map[string]any{"id": id, "object": "invoice", "deleted": true})
}

// RunScheduledInvoices is Stripe's automatic advancement at the fake's current time: every
// draft with auto_advance on whose automatically_finalizes_at has come (or, without one, an
// hour after it was created) is finalized (invoice.finalized) and charged once with the
// payment method Stripe would use, as its behaviour says. A draft with auto_advance off is
// never touched. It returns the ids of the invoices it finalized, oldest first.
func (s *Server) RunScheduledInvoices() []string {
	var ids []string
	s.op(func(now int64) error {
		st := &s.st
		var due []*invoice
		for _, in := range st.invoices {
			at := in.finalizesAt
			if at == 0 {
				at = in.created + 3600
			}
			if in.status == "draft" && in.autoAdvance && at <= now {
				due = append(due, in)
			}
		}
		sortBySeq(due)
		for _, in := range due {
			s.finalize(in, now)
			ids = append(ids, in.id)
			if in.collectionMethod != "charge_automatically" {
				continue
			}
			pm, err := st.chargeableMethod(in, "")
			if err != nil {
				continue // no card: the invoice stays open, as in Stripe
			}
			o := pm.behaviour
			if queue := st.scripts[in.id]; len(queue) > 0 {
				o, st.scripts[in.id] = queue[0], queue[1:]
			}
			if o.kind != outcomeDecline {
				o = Succeed()
			}
			s.attempt(in, pm, o, now, origin{}, true)
		}
		return nil
	})
	return ids
}

// finalize makes a draft open: its number, PaymentIntent and default invoice payment, and
// invoice.finalized.
func (s *Server) finalize(in *invoice, now int64) {
	st := &s.st
	pi := &paymentIntent{id: st.newID("pi"), customer: in.customer, currency: in.currency, status: "requires_payment_method",
		amount: in.amountDue, created: now, seq: st.next()}
	ip := &invoicePayment{id: st.newID("inpay"), invoice: in.id, paymentIntent: pi.id, currency: in.currency, status: "open",
		isDefault: true, amountRequested: in.amountDue, created: now, seq: st.next()}
	st.paymentIntents[pi.id] = pi
	st.invoicePayments[ip.id] = ip
	in.payments = append(in.payments, ip.id)
	in.status, in.finalizedAt, in.finalizesAt = "open", now, 0
	in.number = fmt.Sprintf("FAKE-%04d", len(st.invoices))
	s.emit("invoice.finalized", in.render(st), map[string]any{"status": "draft"}, now, origin{})
}

func sortBySeq(ins []*invoice) {
	slices.SortFunc(ins, func(a, b *invoice) int { return cmp.Compare(a.seq, b.seq) })
}

// formMap collects a hash parameter as stripe-go encodes it: name[key]=value.
func formMap(form map[string][]string, name string) map[string]string {
	out := map[string]string{}
	for k, v := range form {
		key, ok := strings.CutPrefix(k, name+"[")
		if !ok || !strings.HasSuffix(key, "]") || len(v) == 0 {
			continue
		}
		out[strings.TrimSuffix(key, "]")] = v[0]
	}
	return out
}
