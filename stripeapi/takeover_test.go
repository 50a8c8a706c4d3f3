package stripeapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// Taking an invoice over from Stripe's recovery and giving it back, against the stateful
// fake: with auto_advance off Stripe's own retry is refused, with it on again it runs; the
// same key again is answered from Stripe's idempotency layer and changes nothing.
func TestSetAutoAdvance(t *testing.T) {
	now := time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return now }}).Start()
	t.Cleanup(fake.Close)
	r := failedRenewal(t, fake, stripefake.RenewalParams{AmountDue: 9000})
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
	ctx := context.Background()

	if err := c.SetAutoAdvance(ctx, r.InvoiceID, false, "takeover-off"); err != nil {
		t.Fatal(err)
	}
	if snap, _ := fake.Invoice(r.InvoiceID); snap.AutoAdvance {
		t.Fatal("auto_advance still on")
	}
	updated := fake.EventsOfType("invoice.updated")
	if n := len(updated); n == 0 || !strings.Contains(string(updated[n-1].Payload), `"previous_attributes":{"auto_advance":true}`) {
		t.Errorf("invoice.updated: %v", updated)
	}
	if _, err := fake.AutoRetry(r.InvoiceID); err == nil || !strings.Contains(err.Error(), "auto_advance false") {
		t.Fatalf("Stripe's retry of a taken-over invoice: %v", err)
	}
	if snap, _ := fake.Invoice(r.InvoiceID); snap.AttemptCount != 1 {
		t.Errorf("attempts after a refused retry: %d", snap.AttemptCount)
	}

	if err := c.SetAutoAdvance(ctx, r.InvoiceID, true, "takeover-on"); err != nil {
		t.Fatal(err)
	}
	// The first key again is a replay: it does not turn collection off a second time.
	if err := c.SetAutoAdvance(ctx, r.InvoiceID, false, "takeover-off"); err != nil {
		t.Fatal(err)
	}
	if snap, _ := fake.Invoice(r.InvoiceID); !snap.AutoAdvance {
		t.Fatal("a replayed request turned auto_advance off again")
	}
	replayed := 0
	for _, q := range fake.Requests() {
		if q.IdempotencyKey == "takeover-off" && q.Replayed {
			replayed++
		}
	}
	if replayed != 1 {
		t.Errorf("replayed requests: %d", replayed)
	}
	if err := fake.SetPaymentMethodBehaviour(r.PaymentMethodID, stripefake.Succeed()); err != nil {
		t.Fatal(err)
	}
	if paid, err := fake.AutoRetry(r.InvoiceID); err != nil || !paid {
		t.Fatalf("Stripe's retry once given back: paid %v, %v", paid, err)
	}
}

// Stripe changes auto_advance only on draft and open invoices: on a paid or void one the
// refusal is ECONFLICT, saying what the invoice is; on a missing one ENOTFOUND.
func TestSetAutoAdvanceRefused(t *testing.T) {
	now := time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return now }}).Start()
	t.Cleanup(fake.Close)
	paid := failedRenewal(t, fake, stripefake.RenewalParams{AmountDue: 9000})
	if err := fake.SetPaymentMethodBehaviour(paid.PaymentMethodID, stripefake.Succeed()); err != nil {
		t.Fatal(err)
	}
	if ok, err := fake.AutoRetry(paid.InvoiceID); err != nil || !ok {
		t.Fatalf("paying: %v %v", ok, err)
	}
	void := failedRenewal(t, fake, stripefake.RenewalParams{AmountDue: 9000})
	if err := fake.Void(void.InvoiceID); err != nil {
		t.Fatal(err)
	}
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
	ctx := context.Background()

	for id, status := range map[string]string{paid.InvoiceID: "paid", void.InvoiceID: "void"} {
		err := c.SetAutoAdvance(ctx, id, false, "takeover-"+id)
		if recoup.ErrorCode(err) != recoup.ECONFLICT || !strings.Contains(err.Error(), "invoice is "+status) {
			t.Errorf("%s invoice: %v", status, err)
		}
	}
	if err := c.SetAutoAdvance(ctx, "in_missing", false, "takeover-missing"); recoup.ErrorCode(err) != recoup.ENOTFOUND {
		t.Errorf("missing invoice: %v", err)
	}
	for _, tc := range []struct{ id, key string }{{"", "k"}, {paid.InvoiceID, ""}, {paid.InvoiceID, strings.Repeat("k", maxIdempotencyKey+1)}} {
		if err := c.SetAutoAdvance(ctx, tc.id, false, tc.key); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("id %q key of %d bytes: %v", tc.id, len(tc.key), err)
		}
	}
	// Stripe renders a paid or void invoice with auto_advance false, whatever it was.
	var inv struct {
		AutoAdvance *bool `json:"auto_advance"`
	}
	paidEvents := fake.EventsOfType("invoice.paid")
	if len(paidEvents) == 0 {
		t.Fatal("no invoice.paid event")
	}
	for _, ev := range paidEvents {
		var e struct {
			Data struct{ Object json.RawMessage } `json:"data"`
		}
		if err := json.Unmarshal(ev.Payload, &e); err != nil || json.Unmarshal(e.Data.Object, &inv) != nil {
			t.Fatal(err)
		}
		if inv.AutoAdvance == nil || *inv.AutoAdvance {
			t.Errorf("paid invoice renders auto_advance %v", inv.AutoAdvance)
		}
	}
}
