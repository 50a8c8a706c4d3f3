package stripefake

import (
	"net/http"
	"strings"
)

// updateSubscriptionAPI is POST /v1/subscriptions/{id}. Only default_payment_method and
// pause_collection[behavior] (keep_as_draft, mark_uncollectible, void) are implemented (a payment method id, or "" to clear the subscription's own default so the
// customer's invoice default applies); any other parameter is refused, so a test never
// believes the fake applied a change it ignored.
func (s *Server) updateSubscriptionAPI(q *request) response {
	id := q.r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.st.subscriptions[id]
	if sub == nil {
		return notFound("subscription", id)
	}
	for name := range q.form {
		if name != "default_payment_method" && name != "pause_collection[behavior]" && !strings.HasPrefix(name, "expand") {
			return errorResponse(http.StatusBadRequest, stripeError{Type: "invalid_request_error",
				Message: "stripefake: subscription update supports only default_payment_method and pause_collection[behavior], not " + name})
		}
	}
	if b, ok := q.form["pause_collection[behavior]"]; ok {
		return s.pauseCollection(q, sub, b[0])
	}
	vals, ok := q.form["default_payment_method"]
	if !ok {
		return jsonResponse(s.st.expandAll(sub.render(), q.expand))
	}
	pm := vals[0]
	if pm != "" {
		m := s.st.paymentMethods[pm]
		if m == nil {
			return notFound("payment_method", pm)
		}
		if m.customer != sub.customer {
			return invalid("The payment method %s is not attached to the subscription's customer.", pm)
		}
	}
	if pm != sub.defaultPM {
		prev := map[string]any{"default_payment_method": nullable(sub.defaultPM)}
		sub.defaultPM = pm
		s.emit("customer.subscription.updated", sub.render(), prev, s.now(), origin{q.id, q.key})
	}
	return jsonResponse(s.st.expandAll(sub.render(), q.expand))
}

// SubscriptionPaymentMethod is the subscription's own default_payment_method, "" if it has
// none (its invoices then charge the customer's default).
func (s *Server) SubscriptionPaymentMethod(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.st.subscriptions[id]; sub != nil {
		return sub.defaultPM
	}
	return ""
}

// pauseCollection sets the subscription's pause_collection, as Stripe does: a canceled
// subscription is refused, and setting the same behaviour again changes nothing.
func (s *Server) pauseCollection(q *request, sub *subscription, behavior string) response {
	switch {
	case behavior != "keep_as_draft" && behavior != "mark_uncollectible" && behavior != "void":
		return invalid("Invalid pause_collection[behavior]: must be one of keep_as_draft, mark_uncollectible, or void")
	case sub.status == "canceled":
		return invalid("A canceled subscription can only update its cancellation_details and metadata.")
	}
	if behavior != sub.pauseBehavior {
		prev := map[string]any{"pause_collection": sub.renderPause()}
		sub.pauseBehavior = behavior
		s.emit("customer.subscription.updated", sub.render(), prev, s.now(), origin{q.id, q.key})
	}
	return jsonResponse(s.st.expandAll(sub.render(), q.expand))
}

func (s *subscription) renderPause() any {
	if s.pauseBehavior == "" {
		return nil
	}
	return map[string]any{"behavior": s.pauseBehavior, "resumes_at": nil}
}

// PauseCollection is the subscription's pause_collection behaviour, "" when not paused.
func (s *Server) PauseCollection(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.st.subscriptions[id]; sub != nil {
		return sub.pauseBehavior
	}
	return ""
}
