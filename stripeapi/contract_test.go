package stripeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// The contract tests send every request the Client makes to stripe-mock, which validates
// parameters against Stripe's OpenAPI spec and answers with fixtures. They prove the shape of
// the requests, not behaviour (stripe-mock keeps no state and never declines): they assert
// that each call succeeded and decoded.
//
//	go install github.com/stripe/stripe-mock@v0.203.0
//	stripe-mock -http-addr 127.0.0.1:12111 -https-addr 127.0.0.1: &   # HTTPS, unused, on any free port
//	STRIPE_MOCK_URL=http://127.0.0.1:12111 go test ./stripeapi/ -run Contract

func stripeMock(t *testing.T) *Client {
	t.Helper()
	base := os.Getenv("STRIPE_MOCK_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("STRIPE_MOCK_URL is not set; CI must run the contract tests against stripe-mock")
		}
		t.Skip("STRIPE_MOCK_URL not set; start stripe-mock to run the contract tests")
	}
	c, err := New(Config{SecretKey: "sk_test_123", APIBase: base, MaxNetworkRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestContract(t *testing.T) {
	c := stripeMock(t)
	ctx := context.Background()
	since := time.Now().Add(-30 * 24 * time.Hour)

	t.Run("Renewals", func(t *testing.T) {
		// stripe-mock's subscription fixture has no default payment method, so the customer's
		// invoice default is read too: both requests are checked.
		rs, err := c.Renewals(ctx, "cus_123")
		if err != nil {
			t.Fatalf("Renewals: %+v %v", rs, err)
		}
		for _, r := range rs {
			if r.SubscriptionID == "" || r.RenewsAt.IsZero() {
				t.Errorf("renewal %+v", r)
			}
		}
	})
	t.Run("Invoice", func(t *testing.T) {
		inv, err := c.Invoice(ctx, "in_123")
		if err != nil || inv.ID == "" {
			t.Fatalf("Invoice: %+v %v", inv, err)
		}
	})
	t.Run("payment intent with latest charge", func(t *testing.T) {
		inv := &stripe.Invoice{ID: "in_123", Payments: &stripe.InvoicePaymentList{Data: []*stripe.InvoicePayment{{
			Payment: &stripe.InvoicePaymentPayment{PaymentIntent: &stripe.PaymentIntent{ID: "pi_123"}},
		}}}}
		p, err := c.lastPayment(ctx, inv)
		if err != nil || p == nil || p.PaymentIntentID == "" {
			t.Fatalf("lastPayment: %+v %v", p, err)
		}
	})
	t.Run("charge of a legacy payment", func(t *testing.T) {
		inv := &stripe.Invoice{ID: "in_123", Payments: &stripe.InvoicePaymentList{Data: []*stripe.InvoicePayment{{
			Payment: &stripe.InvoicePaymentPayment{Charge: &stripe.Charge{ID: "ch_123"}},
		}}}}
		if p, err := c.lastPayment(ctx, inv); err != nil || p == nil {
			t.Fatalf("lastPayment: %+v %v", p, err)
		}
	})
	t.Run("charge outcome names the fields a Stripe block is read from", func(t *testing.T) {
		// stripe-mock fills its fixtures from Stripe's OpenAPI spec, with null for these, so
		// the spec's names are checked rather than values: outcome.reason and
		// outcome.network_status are what mergeCharge reads to recognise Stripe's own retry block.
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, os.Getenv("STRIPE_MOCK_URL")+"/v1/charges/ch_123", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer sk_test_123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ch struct {
			Outcome map[string]json.RawMessage `json:"outcome"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&ch); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("charge: HTTP %d %v", resp.StatusCode, err)
		}
		for _, k := range []string{"type", "reason", "network_status", "advice_code", "network_advice_code", "network_decline_code"} {
			if _, ok := ch.Outcome[k]; !ok {
				t.Errorf("charge.outcome has no %q: %v", k, ch.Outcome)
			}
		}
	})
	t.Run("Charges", func(t *testing.T) {
		// stripe-mock answers a fixture list (has_more false): the request's shape (limit,
		// created[gte], starting_after) and the decoding are what is checked.
		for _, after := range []string{"", "ch_123"} {
			n := 0
			for ch, err := range c.Charges(ctx, since, after) {
				if err != nil {
					t.Fatalf("Charges (after %q): %v", after, err)
				}
				if n++; ch.ID == "" || ch.Created.IsZero() || ch.Status == "" {
					t.Errorf("charge %+v", ch)
				}
			}
			if n == 0 {
				t.Errorf("Charges (after %q): none", after)
			}
		}
	})
	t.Run("Invoices", func(t *testing.T) {
		n := 0
		for inv, err := range c.Invoices(ctx, since, "in_123") {
			if err != nil {
				t.Fatalf("Invoices: %v", err)
			}
			if n++; inv.ID == "" || inv.Status == "" {
				t.Errorf("invoice %+v", inv)
			}
		}
		if n == 0 {
			t.Error("Invoices: none")
		}
	})
	t.Run("invoice payments beyond those an invoice includes", func(t *testing.T) {
		if _, err := c.invoicePayments(ctx, "in_123"); err != nil {
			t.Fatalf("invoicePayments: %v", err)
		}
	})
	t.Run("Pay", func(t *testing.T) {
		for _, pm := range []string{"", "pm_123"} {
			if _, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: "in_123", IdempotencyKey: "contract-pay-" + pm, PaymentMethodID: pm}); err != nil {
				t.Fatalf("Pay (payment method %q): %v", pm, err)
			}
		}
	})
	t.Run("Customer", func(t *testing.T) {
		if cus, err := c.Customer(ctx, "cus_123"); err != nil || cus.ID == "" {
			t.Fatalf("Customer: %+v %v", cus, err)
		}
	})
	t.Run("PaymentUpdateURL", func(t *testing.T) {
		for _, ret := range []string{"", "https://example.com/thanks"} {
			u, err := c.PaymentUpdateURL(ctx, "cus_123", ret)
			if err != nil || u == "" {
				t.Fatalf("PaymentUpdateURL (return %q): %q %v", ret, u, err)
			}
		}
	})
	t.Run("SubscriptionUpdateURL", func(t *testing.T) {
		u, err := c.SubscriptionUpdateURL(ctx, "cus_123", "sub_123", "https://example.com/thanks")
		if err != nil || u == "" {
			t.Fatalf("SubscriptionUpdateURL: %q %v", u, err)
		}
	})
	t.Run("HostedInvoiceURL", func(t *testing.T) {
		// stripe-mock's fixture invoice has no hosted page: the request's shape is what is
		// checked, and the answer decoded to "no hosted page" rather than a transport error.
		u, err := c.HostedInvoiceURL(ctx, "in_123")
		if err != nil && !(recoup.IsNotFound(err) && strings.Contains(err.Error(), "no hosted page")) {
			t.Fatalf("HostedInvoiceURL: %q %v", u, err)
		}
	})
	t.Run("CancelSubscription", func(t *testing.T) {
		if err := c.CancelSubscription(ctx, "sub_123", "contract-cancel"); err != nil {
			t.Fatal(err)
		}
		// The re-read behind an idempotent cancel.
		if _, err := c.sc.V1Subscriptions.Retrieve(ctx, "sub_123", nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("CancelAtPeriodEnd", func(t *testing.T) {
		if err := c.CancelAtPeriodEnd(ctx, "sub_123", "contract-cancel-at-period-end"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("UseCard", func(t *testing.T) {
		// stripe-mock's subscription fixture has no default of its own and its customer is not
		// expanded with a default: the retrieve and the update that sets the card are checked.
		got, err := c.UseCard(ctx, "sub_123", "pm_123", "contract-use-card")
		if err != nil || got != recoup.CardDefaultSet {
			t.Fatalf("UseCard: %q %v", got, err)
		}
		// Clearing the subscription's own default sends default_payment_method="".
		params := &stripe.SubscriptionUpdateParams{DefaultPaymentMethod: stripe.String("")}
		if err := c.updateSubscription(ctx, "clear default", "sub_123", "contract-clear-card", params); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("PauseCollection", func(t *testing.T) {
		if err := c.PauseCollection(ctx, "sub_123", "contract-pause"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("CreatePlanInvoice", func(t *testing.T) {
		inv := recoup.PlanInvoice{CustomerID: "cus_123", Amount: 3334, Currency: "usd", Description: "part 1 of 3",
			Metadata: map[string]string{"recoup_plan_of": "in_123", "recoup_plan_part": "1/3"}, IdempotencyKey: "contract-plan-1"}
		id, err := c.CreatePlanInvoice(ctx, inv)
		if err != nil || id == "" {
			t.Fatalf("CreatePlanInvoice: %q %v", id, err)
		}
		// A draft left without its item gets only the item.
		inv.InvoiceID, inv.IdempotencyKey = "in_123", "contract-plan-1-again"
		if id, err := c.CreatePlanInvoice(ctx, inv); err != nil || id != "in_123" {
			t.Fatalf("CreatePlanInvoice on a draft: %q %v", id, err)
		}
	})
	t.Run("PaymentMethods", func(t *testing.T) {
		// GET /v1/payment_methods?customer= without a type: stripe-mock's fixture is a card.
		ms, err := c.PaymentMethods(ctx, "cus_123")
		if err != nil || len(ms) == 0 || ms[0].ID == "" || ms[0].Type != "card" || ms[0].Last4 == "" {
			t.Fatalf("PaymentMethods: %+v %v", ms, err)
		}
	})
	t.Run("PlanParts", func(t *testing.T) {
		// stripe-mock's fixture invoice carries no plan metadata: the listing's shape is checked.
		if _, err := c.PlanParts(ctx, "cus_123", "in_123", since); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SchedulePlanInvoice", func(t *testing.T) {
		if err := c.SchedulePlanInvoice(ctx, "in_123", time.Now().Add(time.Hour), "contract-plan-on"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SetAutoAdvance", func(t *testing.T) {
		// stripe-mock keeps no state: the shape of POST /v1/invoices/{id} auto_advance, both ways.
		for _, on := range []bool{false, true} {
			if err := c.SetAutoAdvance(ctx, "in_123", on, fmt.Sprintf("contract-auto-advance-%v", on)); err != nil {
				t.Fatalf("auto_advance %v: %v", on, err)
			}
		}
	})
	t.Run("CancelPlanInvoice", func(t *testing.T) {
		// The fixture is a draft: the retrieve and the delete are checked; the void of a
		// finalized part directly.
		if err := c.CancelPlanInvoice(ctx, "in_123", "contract-plan-cancel"); err != nil {
			t.Fatal(err)
		}
		params := &stripe.InvoiceVoidInvoiceParams{}
		params.SetIdempotencyKey("contract-plan-void")
		if _, err := c.sc.V1Invoices.VoidInvoice(ctx, "in_123", params); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SettleOutOfBand", func(t *testing.T) {
		if err := c.SettleOutOfBand(ctx, "in_123", "contract-settle"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("MarkUncollectible", func(t *testing.T) {
		if err := c.MarkUncollectible(ctx, "in_123", "contract-uncollectible"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Events", func(t *testing.T) {
		n := 0
		for ev, err := range c.Events(ctx, since, []string{"invoice.payment_failed", "invoice.paid", "customer.updated"}) {
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID == "" {
				t.Errorf("event without id: %+v", ev)
			}
			n++
		}
		if n == 0 {
			t.Error("no event decoded")
		}
	})
	t.Run("CheckKey", func(t *testing.T) {
		if err := c.CheckKey(ctx); err != nil {
			t.Fatal(err)
		}
		if s := c.KeyStatus(); s.State != KeyAccepted {
			t.Errorf("key %+v after CheckKey, want accepted", s)
		}
	})
	t.Run("FailedInvoices", func(t *testing.T) {
		// stripe-mock's fixture invoice was never attempted, so none is yielded: the point is
		// that the listing request is accepted and decodes.
		if err := c.FailedInvoices(ctx, since, func(recoup.Invoice) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("stripe-mock rejects a malformed request", func(t *testing.T) {
		// Guards the guard: if stripe-mock stopped validating, the tests above would prove nothing.
		params := &stripe.InvoicePayParams{}
		params.AddExtra("no_such_parameter", "1")
		_, err := c.sc.V1Invoices.Pay(ctx, "in_123", params)
		if code := recoup.ErrorCode(mapError(err, "pay")); code != recoup.EINVALID {
			t.Fatalf("unknown parameter: %q %v", code, err)
		}
	})
}
