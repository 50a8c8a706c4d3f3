package stripefake

import "net/url"

// portalSession is POST /v1/billing_portal/sessions: a session for an existing customer, with
// the URL the customer would be sent to. Only the payment-method update flow (or none) is
// supported, the one recoup uses. Sessions are recorded for PortalSessions.
func (s *Server) portalSession(q *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	cus := q.param("customer")
	if st.customers[cus] == nil {
		return notFound("customer", cus)
	}
	flow := q.param("flow_data[type]")
	var sub string
	switch flow {
	case "", "payment_method_update":
	case "subscription_update":
		sub = q.param("flow_data[subscription_update][subscription]")
		switch s := st.subscriptions[sub]; {
		case sub == "":
			return invalid("Missing required param: flow_data[subscription_update][subscription].")
		case s == nil || s.customer != cus:
			return notFound("subscription", sub)
		case s.status == "canceled":
			return invalid("The subscription %s is canceled and cannot be updated.", sub)
		}
	default:
		return invalid("stripefake supports only flow_data[type] payment_method_update and subscription_update, got %q", flow)
	}
	id := st.newID("bps")
	st.portalSessions = append(st.portalSessions, PortalSession{ID: id, Customer: cus, Flow: flow, Subscription: sub, ReturnURL: q.param("return_url")})
	var ret any
	if r := q.param("return_url"); r != "" {
		ret = r
	}
	return jsonResponse(map[string]any{
		"id": id, "object": "billing_portal.session", "customer": cus, "livemode": false, "created": s.now(),
		"return_url": ret, "url": "https://billing.stripe.com/p/session/fake/" + url.PathEscape(id),
		"flow": map[string]any{"type": nullable(flow)}, "locale": nil, "configuration": "bpc_fake", "on_behalf_of": nil,
	})
}

// PortalSession is a Billing Portal session created through the fake.
type PortalSession struct {
	ID, Customer, Flow, ReturnURL string
	Subscription                  string // the subscription_update flow's
}

// PortalSessions returns the Billing Portal sessions created so far.
func (s *Server) PortalSessions() []PortalSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PortalSession(nil), s.st.portalSessions...)
}
