package stripefake_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/recoup-hq/recoup/stripeapi/stripefake"
	"github.com/stripe/stripe-go/v86"
	"github.com/stripe/stripe-go/v86/webhook"
)

// receiver is a webhook endpoint that verifies each delivery with stripe-go and records it.
type receiver struct {
	mu      sync.Mutex
	secret  string
	got     []stripe.Event
	headers []string
}

func newReceiver(t *testing.T, secret string) (*receiver, string) {
	t.Helper()
	rc := &receiver{secret: secret}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get("Stripe-Signature")
		ev, err := webhook.ConstructEventWithOptions(body, sig, rc.secret, webhook.ConstructEventOptions{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.got = append(rc.got, ev)
		rc.headers = append(rc.headers, sig)
		rc.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

func (rc *receiver) types() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, ev := range rc.got {
		out = append(out, string(ev.Type))
	}
	return out
}

func (rc *receiver) ids() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, ev := range rc.got {
		out = append(out, ev.ID)
	}
	return out
}

func TestWebhooksAreSignedAndDeliveredInOrder(t *testing.T) {
	rc, url := newReceiver(t, "whsec_new")
	fake, _ := start(t, stripefake.Options{WebhookURL: url, WebhookSecrets: []string{"whsec_old", "whsec_new"}})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	// Control methods return after delivery: no waiting needed.
	want := []string{}
	for _, ev := range fake.Events() {
		want = append(want, ev.Type)
		if ev.Delivered != 1 || ev.LastStatus != 200 {
			t.Errorf("event %s %s: delivered %d, last status %d", ev.ID, ev.Type, ev.Delivered, ev.LastStatus)
		}
	}
	if got := rc.types(); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	if !slices.Contains(want, "invoice.payment_failed") {
		t.Errorf("no invoice.payment_failed in %v", want)
	}
	if h := rc.headers[0]; strings.Count(h, "v1=") != 2 {
		t.Errorf("signature header %q: want one v1 per secret", h)
	}
	failed := fake.EventsOfType("invoice.payment_failed")[0]
	var payload struct {
		Data struct {
			Object struct {
				ID string `json:"id"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(failed.Payload, &payload); err != nil || payload.Data.Object.ID != r.InvoiceID {
		t.Errorf("invoice.payment_failed object = %q (%v)", payload.Data.Object.ID, err)
	}
}

func TestLostDuplicateAndReorderedWebhooks(t *testing.T) {
	rc, url := newReceiver(t, "whsec_x")
	fake, _ := start(t, stripefake.Options{WebhookURL: url, WebhookSecrets: []string{"whsec_x"}})
	cus := fake.CreateCustomer(stripefake.CustomerParams{Email: "a@example.com"})
	fake.SetAutoDeliver(false)
	pm := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: cus})
	if err := fake.UpdateDefaultPaymentMethod(cus, pm); err != nil {
		t.Fatal(err)
	}
	if got := rc.types(); !slices.Equal(got, []string{"customer.created"}) {
		t.Fatalf("delivered while off: %v", got)
	}
	evs := fake.Events()
	attached, updated := evs[1], evs[2]
	if attached.Type != "payment_method.attached" || updated.Type != "customer.updated" {
		t.Fatalf("events %v", evs)
	}
	// Out of order, then a duplicate.
	for _, id := range []string{updated.ID, attached.ID, updated.ID} {
		if status, err := fake.Deliver(id); err != nil || status != 200 {
			t.Fatalf("deliver %s: %d %v", id, status, err)
		}
	}
	if got := rc.ids(); !slices.Equal(got[1:], []string{updated.ID, attached.ID, updated.ID}) {
		t.Errorf("delivered %v", got)
	}

	var body struct {
		Data struct {
			PreviousAttributes map[string]any `json:"previous_attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(updated.Payload, &body); err != nil {
		t.Fatal(err)
	}
	prev, _ := body.Data.PreviousAttributes["invoice_settings"].(map[string]any)
	if _, ok := prev["default_payment_method"]; !ok {
		t.Errorf("customer.updated previous_attributes = %v", body.Data.PreviousAttributes)
	}

	// A filter drops chosen events only.
	fake.SetAutoDeliver(true)
	fake.SetDeliveryFilter(func(ev stripefake.Event) bool { return ev.Type != "customer.created" })
	fake.CreateCustomer(stripefake.CustomerParams{})
	if n := len(rc.ids()); n != 4 {
		t.Errorf("filtered event was delivered: %d deliveries", n)
	}
}

func TestAPICausedEventsAreDeliveredInTheBackground(t *testing.T) {
	rc, url := newReceiver(t, "whsec_x")
	fake, sc := start(t, stripefake.Options{WebhookURL: url, WebhookSecrets: []string{"whsec_x"}})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.V1Invoices.Pay(context.Background(), r.InvoiceID, payParams("k")); err != nil {
		t.Fatal(err)
	}
	if err := fake.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rc.types()
	if !slices.Contains(got, "invoice.paid") || !slices.Contains(got, "invoice.payment_succeeded") {
		t.Errorf("delivered %v", got)
	}
	paid := fake.EventsOfType("invoice.paid")[0]
	var body struct {
		Request struct {
			ID             string `json:"id"`
			IdempotencyKey string `json:"idempotency_key"`
		} `json:"request"`
	}
	if err := json.Unmarshal(paid.Payload, &body); err != nil || body.Request.IdempotencyKey != "k" || body.Request.ID == "" {
		t.Errorf("invoice.paid request = %+v (%v)", body.Request, err)
	}
}
