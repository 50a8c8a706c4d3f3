package stripeapi

import "testing"

func TestPathTemplate(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/invoices/in_1NxYzAbC/pay":           "/v1/invoices/{id}/pay",
		"/v1/customers/cus_9s6XKzkNRiz8i3":       "/v1/customers/{id}",
		"/v1/payment_methods":                    "/v1/payment_methods",
		"/v1/billing_portal/sessions":            "/v1/billing_portal/sessions",
		"/v1/payment_intents/pi_3abc":            "/v1/payment_intents/{id}",
		"/v1/subscriptions/sub_1A/cancel":        "/v1/subscriptions/{id}/cancel",
		"/v1/customers/search":                   "/v1/customers/search",
		"/v1/invoices/in_fake000012/void":        "/v1/invoices/{id}/void",
		"/v1/setup_intents/seti_1Q2w/confirm":    "/v1/setup_intents/{id}/confirm",
		"/v1/test_helpers/test_clocks/clock_1Ab": "/v1/test_helpers/test_clocks/{id}",
	} {
		if got := pathTemplate(in); got != want {
			t.Errorf("pathTemplate(%q) = %q, want %q", in, got, want)
		}
	}
}
