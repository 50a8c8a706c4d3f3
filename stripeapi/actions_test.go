package stripeapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

var allCodes = stripefake.Decline{
	Code: "card_declined", DeclineCode: "do_not_honor", AdviceCode: "try_again_later",
	NetworkAdviceCode: "24", NetworkDeclineCode: "05", Message: "Your card was declined.",
	OutcomeType: "issuer_declined",
}

func wantDecline(t *testing.T, got *recoup.Decline, d stripefake.Decline, brand string) {
	t.Helper()
	want := recoup.Decline{Code: d.Code, DeclineCode: d.DeclineCode, AdviceCode: d.AdviceCode,
		NetworkAdviceCode: d.NetworkAdviceCode, NetworkDeclineCode: d.NetworkDeclineCode,
		OutcomeType: d.OutcomeType, OutcomeReason: d.OutcomeReason, NetworkStatus: d.NetworkStatus,
		Message: d.Message, CardBrand: brand}
	if want.OutcomeReason == "" {
		want.OutcomeReason = d.DeclineCode // an issuer decline's outcome reason is its decline code
	}
	if want.NetworkStatus == "" {
		want.NetworkStatus = "declined_by_network"
	}
	if got == nil || *got != want {
		t.Errorf("decline = %+v\nwant     %+v", got, want)
	}
}

func TestPay(t *testing.T) {
	ctx := context.Background()
	t.Run("success", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		c, _ := newTestClient(t, fake, Config{})
		res, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k1"})
		if err != nil || !res.Paid || res.Decline != nil {
			t.Fatalf("Pay = %+v, %v", res, err)
		}
		inv := res.Invoice
		if inv.Status != recoup.InvoicePaid || inv.AmountPaid != 2000 || inv.AmountRemaining != 0 || inv.PaidAt.IsZero() ||
			inv.AttemptCount != 1 || inv.LastPayment == nil || inv.LastPayment.Status != "succeeded" ||
			inv.LastPayment.PaymentMethodID != r.PaymentMethodID || inv.LastPayment.Decline != nil {
			t.Errorf("invoice after pay = %+v, last payment %+v", inv, inv.LastPayment)
		}
		if fake.SubscriptionStatus(r.SubscriptionID) != "active" {
			t.Error("subscription not active after payment")
		}
	})
	t.Run("with another card", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{Behaviour: stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))})
		card := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: r.CustomerID, Brand: "amex"})
		c, _ := newTestClient(t, fake, Config{})
		res, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k1", PaymentMethodID: card})
		if err != nil || !res.Paid || res.Invoice.LastPayment.PaymentMethodID != card {
			t.Fatalf("Pay = %+v, %v", res, err)
		}
	})
	t.Run("decline is a result", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{Brand: "visa"})
		fake.ScriptPay(r.InvoiceID, stripefake.Declined(allCodes))
		c, _ := newTestClient(t, fake, Config{})
		res, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k1"})
		if err != nil || res.Paid {
			t.Fatalf("Pay = %+v, %v", res, err)
		}
		wantDecline(t, res.Decline, allCodes, "visa")
		if res.Invoice.AttemptCount != 1 || res.Invoice.Status != recoup.InvoiceOpen || res.Invoice.LastPayment == nil {
			t.Errorf("invoice after decline = %+v", res.Invoice)
		}
		// The same key again: Stripe replays the decline, no new attempt.
		again, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k1"})
		if err != nil || again.Paid || again.Decline == nil || again.Decline.DeclineCode != "do_not_honor" {
			t.Fatalf("replay = %+v, %v", again, err)
		}
		if snap, _ := fake.Invoice(r.InvoiceID); snap.AttemptCount != 1 || snap.Charges != 2 {
			t.Errorf("replay charged again: %+v", snap)
		}
	})
	t.Run("retry blocked by Stripe", func(t *testing.T) {
		// The error says only card_declined/generic_decline; the charge's outcome, read after the
		// decline, says Stripe blocked the retry without sending it to Visa.
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{Brand: "visa"})
		fake.ScriptPay(r.InvoiceID, stripefake.Declined(stripefake.RetryBlocked()))
		c, _ := newTestClient(t, fake, Config{})
		res, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k1"})
		if err != nil || res.Paid {
			t.Fatalf("Pay = %+v, %v", res, err)
		}
		wantDecline(t, res.Decline, stripefake.RetryBlocked(), "visa")
		if !res.Decline.RetryBlocked() || res.Decline.ReachedNetwork() || res.Decline.Reason() != "previously_declined_do_not_retry" {
			t.Errorf("decline %+v not read as Stripe's retry block", res.Decline)
		}
		// A webhook's read of the invoice sees the same.
		inv, err := c.Invoice(ctx, r.InvoiceID)
		if err != nil || inv.LastPayment == nil {
			t.Fatalf("Invoice = %+v, %v", inv, err)
		}
		wantDecline(t, inv.LastPayment.Decline, stripefake.RetryBlocked(), "visa")
	})
	t.Run("already paid by the customer", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		if err := fake.PayByCustomer(r.InvoiceID, r.PaymentMethodID); err != nil {
			t.Fatal(err)
		}
		c, _ := newTestClient(t, fake, Config{})
		res, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k1"})
		if err != nil || !res.Paid || res.Invoice.Status != recoup.InvoicePaid {
			t.Fatalf("Pay = %+v, %v", res, err)
		}
		if n := fake.SucceededCharges(r.InvoiceID); n != 1 {
			t.Errorf("succeeded charges = %d", n)
		}
	})
	t.Run("lost response is recovered by the retry", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		fake.ScriptPay(r.InvoiceID, stripefake.LoseResponse(stripefake.Succeed()))
		c, _ := newTestClient(t, fake, Config{HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
		res, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k-lost"})
		if err != nil || !res.Paid {
			t.Fatalf("Pay = %+v, %v", res, err)
		}
		if n, calls := fake.SucceededCharges(r.InvoiceID), fake.PayCalls("k-lost"); n != 1 || calls != 2 {
			t.Errorf("succeeded charges %d, pay calls %d; want 1, 2", n, calls)
		}
	})
	t.Run("hang: outcome unknown", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		fake.ScriptPay(r.InvoiceID, stripefake.Hang())
		c, _ := newTestClient(t, fake, Config{})
		hctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, err := c.Pay(hctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k-hang"})
		if code := recoup.ErrorCode(err); code != recoup.EUNAVAILABLE {
			t.Fatalf("code %q (%v), want unavailable", code, err)
		}
		if snap, _ := fake.Invoice(r.InvoiceID); snap.Status != "open" || snap.Charges != 1 {
			t.Errorf("after hang: %+v", snap)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		c, _ := newTestClient(t, fake, Config{})
		if _, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: "in_missing", IdempotencyKey: "k"}); recoup.ErrorCode(err) != recoup.ENOTFOUND {
			t.Errorf("missing invoice: %v", err)
		}
		if _, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID}); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("no key: %v", err)
		}
		if _, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k-pm", PaymentMethodID: "pm_nope"}); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("unknown payment method: %v", err)
		}
		if err := fake.Void(r.InvoiceID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k2"}); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("void invoice: %v", err)
		}
	})
}

func TestFinalActionsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	fake := startFake(t)
	r := failedRenewal(t, fake, stripefake.RenewalParams{})
	c, _ := newTestClient(t, fake, Config{})

	for i := range 2 {
		if err := c.CancelSubscription(ctx, r.SubscriptionID, "cancel-key"); err != nil {
			t.Fatalf("cancel %d: %v", i, err)
		}
		if err := c.MarkUncollectible(ctx, r.InvoiceID, "write-off-key"); err != nil {
			t.Fatalf("mark uncollectible %d: %v", i, err)
		}
	}
	if st := fake.SubscriptionStatus(r.SubscriptionID); st != "canceled" {
		t.Errorf("subscription %s", st)
	}
	if snap, _ := fake.Invoice(r.InvoiceID); snap.Status != "uncollectible" {
		t.Errorf("invoice %s", snap.Status)
	}
	for _, req := range fake.Requests() {
		if (req.Method == http.MethodDelete || req.Method == http.MethodPost) && req.IdempotencyKey == "" {
			t.Errorf("%s %s without an idempotency key", req.Method, req.Path)
		}
	}

	if err := c.CancelSubscription(ctx, "sub_missing", "k"); recoup.ErrorCode(err) != recoup.ENOTFOUND {
		t.Errorf("missing subscription: %v", err)
	}
	if err := c.MarkUncollectible(ctx, "in_missing", "k"); recoup.ErrorCode(err) != recoup.ENOTFOUND {
		t.Errorf("missing invoice: %v", err)
	}
	paid := failedRenewal(t, fake, stripefake.RenewalParams{})
	if err := fake.PayByCustomer(paid.InvoiceID, paid.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	if err := c.MarkUncollectible(ctx, paid.InvoiceID, "k3"); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("paid invoice: %v", err)
	}
	if err := c.CancelSubscription(ctx, r.SubscriptionID, ""); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("no key: %v", err)
	}
}
