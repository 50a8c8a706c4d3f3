package stripefake

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Retrieval and listing endpoints, with Stripe's pagination (limit, starting_after,
// ending_before; newest first), created[gt|gte|lt|lte] filters and expand[].

// renderID renders the object with the given id, found by its prefix; nil if none.
func (st *state) renderID(id string) map[string]any {
	prefix, _, _ := strings.Cut(id, "_")
	switch prefix {
	case "cus":
		if c := st.customers[id]; c != nil {
			return c.render()
		}
	case "pm":
		if p := st.paymentMethods[id]; p != nil {
			return p.render()
		}
	case "sub":
		if s := st.subscriptions[id]; s != nil {
			return s.render()
		}
	case "in":
		if in := st.invoices[id]; in != nil {
			return in.render(st)
		}
	case "inpay":
		if ip := st.invoicePayments[id]; ip != nil {
			return ip.render()
		}
	case "pi":
		if pi := st.paymentIntents[id]; pi != nil {
			return pi.render()
		}
	case "ch":
		if ch := st.charges[id]; ch != nil {
			return ch.render()
		}
	}
	return nil
}

// expand applies one expand[] path (dot-separated) to v: an id found on the path is replaced
// by its object, a list is walked through its "data", and an invoice's includable "payments"
// is added.
func (st *state) expand(v any, path []string) any {
	m, ok := v.(map[string]any)
	if !ok || len(path) == 0 {
		return v
	}
	if m["object"] == "list" && path[0] == "data" {
		if data, ok := m["data"].([]any); ok {
			for i := range data {
				data[i] = st.expand(data[i], path[1:])
			}
		}
		return m
	}
	key := path[0]
	val, ok := m[key]
	if !ok && key == "payments" && m["object"] == "invoice" {
		if in := st.invoices[m["id"].(string)]; in != nil {
			val, ok = in.renderPayments(st), true
		}
	}
	if !ok {
		return m
	}
	if id, isID := val.(string); isID {
		obj := st.renderID(id)
		if obj == nil {
			return m
		}
		val = obj
	}
	m[key] = st.expand(val, path[1:])
	return m
}

func (st *state) expandAll(obj map[string]any, paths []string) map[string]any {
	for _, p := range paths {
		st.expand(obj, strings.Split(p, "."))
	}
	return obj
}

// listItem is one object of a listing, with what listings sort by.
type listItem struct {
	id           string
	created, seq int64
	render       func() any
}

func obj(f func() map[string]any) func() any { return func() any { return f() } }

// list answers a list request over items (already filtered by the endpoint's own
// parameters), applying created filters, order, pagination and expansion.
func (st *state) list(q *request, url string, items []listItem) response {
	if bad := badCreated(q); bad != "" {
		return errorResponse(http.StatusBadRequest, stripeError{Type: "invalid_request_error",
			Code: "parameter_invalid_integer", Param: bad, Message: "Invalid integer: " + q.param(bad)})
	}
	items = slices.DeleteFunc(items, func(it listItem) bool { return !createdMatches(q, it.created) })
	slices.SortFunc(items, func(a, b listItem) int { // newest first
		if c := cmp.Compare(b.created, a.created); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	limit := 10
	if l := q.param("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return invalid("Invalid limit: must be an integer between 1 and 100")
		}
		limit = n
	}
	index := func(id string) int {
		return slices.IndexFunc(items, func(it listItem) bool { return it.id == id })
	}
	var page []listItem
	hasMore := false
	switch after, before := q.param("starting_after"), q.param("ending_before"); {
	case after != "":
		i := index(after)
		if i < 0 {
			return invalid("Invalid starting_after id: %s", after)
		}
		rest := items[i+1:]
		page, hasMore = rest[:min(limit, len(rest))], len(rest) > limit
	case before != "":
		i := index(before)
		if i < 0 {
			return invalid("Invalid ending_before id: %s", before)
		}
		from := max(0, i-limit)
		page, hasMore = items[from:i], from > 0
	default:
		page, hasMore = items[:min(limit, len(items))], len(items) > limit
	}
	data := make([]any, len(page))
	for i, it := range page {
		data[i] = it.render()
	}
	env := map[string]any{"object": "list", "data": data, "has_more": hasMore, "url": url}
	return jsonResponse(st.expandAll(env, q.expand))
}

var createdParams = []string{"created", "created[gt]", "created[gte]", "created[lt]", "created[lte]"}

// badCreated names the first created filter that is not an integer, as Stripe refuses it
// (400 parameter_invalid_integer); "" if all are.
func badCreated(q *request) string {
	for _, k := range createdParams {
		if s := q.param(k); s != "" {
			if _, err := strconv.ParseInt(s, 10, 64); err != nil {
				return k
			}
		}
	}
	return ""
}

// createdMatches applies created=, created[gt], created[gte], created[lt], created[lte].
func createdMatches(q *request, created int64) bool {
	for _, f := range []struct {
		key string
		ok  func(v int64) bool
	}{
		{"created", func(v int64) bool { return created == v }},
		{"created[gt]", func(v int64) bool { return created > v }},
		{"created[gte]", func(v int64) bool { return created >= v }},
		{"created[lt]", func(v int64) bool { return created < v }},
		{"created[lte]", func(v int64) bool { return created <= v }},
	} {
		if s := q.param(f.key); s != "" {
			if v, err := strconv.ParseInt(s, 10, 64); err == nil && !f.ok(v) {
				return false
			}
		}
	}
	return true
}

// retrieve answers GET /v1/{kind}/{id}.
func (s *Server) retrieve(kind string) apiHandler {
	return func(q *request) response {
		id := q.r.PathValue("id")
		s.mu.Lock()
		defer s.mu.Unlock()
		if kind == "event" {
			if ev := s.st.eventsByID[id]; ev != nil {
				return response{status: http.StatusOK, body: ev.payload}
			}
			return notFound(kind, id)
		}
		obj := s.st.renderID(id)
		if obj == nil || obj["object"] != kind {
			return notFound(kind, id)
		}
		return jsonResponse(s.st.expandAll(obj, q.expand))
	}
}

// match reports whether the request's filter parameter name is absent or equals value.
func match(q *request, name, value string) bool {
	want := q.param(name)
	return want == "" || want == value
}

func (s *Server) listCustomers(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []listItem
	for _, c := range s.st.customers {
		if match(q, "email", c.email) {
			items = append(items, listItem{c.id, c.created, c.seq, obj(c.render)})
		}
	}
	return s.st.list(q, "/v1/customers", items)
}

func (s *Server) listPaymentMethods(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []listItem
	for _, p := range s.st.paymentMethods {
		if match(q, "customer", p.customer) && match(q, "type", p.kind()) {
			items = append(items, listItem{p.id, p.created, p.seq, obj(p.render)})
		}
	}
	return s.st.list(q, "/v1/payment_methods", items)
}

func (s *Server) listSubscriptions(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	status := q.param("status")
	var items []listItem
	for _, sub := range s.st.subscriptions {
		// Stripe leaves cancelled subscriptions out unless asked for them (or for all).
		okStatus := (status == "" && sub.status != "canceled") || status == "all" || status == sub.status
		if okStatus && match(q, "customer", sub.customer) {
			items = append(items, listItem{sub.id, sub.created, sub.seq, obj(sub.render)})
		}
	}
	return s.st.list(q, "/v1/subscriptions", items)
}

func (s *Server) listInvoices(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []listItem
	for _, in := range s.st.invoices {
		if match(q, "customer", in.customer) && match(q, "subscription", in.subscription) &&
			match(q, "status", in.status) && match(q, "collection_method", in.collectionMethod) {
			items = append(items, listItem{in.id, in.created, in.seq, func() any { return in.render(&s.st) }})
		}
	}
	return s.st.list(q, "/v1/invoices", items)
}

func (s *Server) listInvoicePayments(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []listItem
	for _, ip := range s.st.invoicePayments {
		if match(q, "invoice", ip.invoice) && match(q, "status", ip.status) {
			items = append(items, listItem{ip.id, ip.created, ip.seq, obj(ip.render)})
		}
	}
	return s.st.list(q, "/v1/invoice_payments", items)
}

func (s *Server) listPaymentIntents(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []listItem
	for _, pi := range s.st.paymentIntents {
		if match(q, "customer", pi.customer) {
			items = append(items, listItem{pi.id, pi.created, pi.seq, obj(pi.render)})
		}
	}
	return s.st.list(q, "/v1/payment_intents", items)
}

func (s *Server) listCharges(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []listItem
	for _, ch := range s.st.charges {
		if match(q, "customer", ch.customer) && match(q, "payment_intent", ch.paymentIntent) {
			items = append(items, listItem{ch.id, ch.created, ch.seq, obj(ch.render)})
		}
	}
	return s.st.list(q, "/v1/charges", items)
}

// listEvents answers GET /v1/events with type (a single type, * wildcard at the end allowed)
// and types[] filters. Events are served with their original bytes.
func (s *Server) listEvents(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	types := formArray(q.form, "types")
	typ := q.param("type")
	var items []listItem
	for _, ev := range s.st.events {
		if typ != "" && !(ev.typ == typ || (strings.HasSuffix(typ, "*") && strings.HasPrefix(ev.typ, strings.TrimSuffix(typ, "*")))) {
			continue
		}
		if len(types) > 0 && !slices.Contains(types, ev.typ) {
			continue
		}
		payload := json.RawMessage(ev.payload)
		items = append(items, listItem{ev.id, ev.created, ev.seq, func() any { return payload }})
	}
	if len(types) > 20 {
		return invalid("types: at most 20 event types may be given")
	}
	return s.st.list(q, "/v1/events", items)
}
