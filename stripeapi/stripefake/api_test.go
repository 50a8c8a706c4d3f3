package stripefake_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/stripeapi/stripefake"
	"github.com/stripe/stripe-go/v86"
)

func payParams(key string) *stripe.InvoicePayParams {
	p := &stripe.InvoicePayParams{OffSession: stripe.Bool(true)}
	p.SetIdempotencyKey(key)
	return p
}

func TestPayDeclineHasStripesCardErrorShape(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Brand: "visa", Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	fake.ScriptPay(r.InvoiceID, stripefake.Declined(stripefake.Decline{
		Code: "card_declined", DeclineCode: "do_not_honor", AdviceCode: "do_not_try_again",
		NetworkAdviceCode: "03", NetworkDeclineCode: "05", Message: "Your card was declined.",
	}))
	_, err = sc.V1Invoices.Pay(ctx, r.InvoiceID, payParams("k-decline"))
	se := stripeErr(t, err)
	if se.HTTPStatusCode != http.StatusPaymentRequired || se.Type != stripe.ErrorTypeCard || se.Code != "card_declined" ||
		se.DeclineCode != "do_not_honor" || se.AdviceCode != "do_not_try_again" || se.NetworkAdviceCode != "03" ||
		se.NetworkDeclineCode != "05" || se.ChargeID == "" || se.PaymentMethod == nil ||
		se.PaymentMethod.Card.Brand != "visa" || se.PaymentIntent == nil {
		t.Errorf("decline error = %+v", se)
	}
	// A manual attempt after the first is a charge, but not a count of the retry schedule:
	// Stripe documents that only automatic retries add to attempt_count after the first.
	snap, _ := fake.Invoice(r.InvoiceID)
	if snap.Status != "open" || snap.AttemptCount != 1 || snap.Charges != 2 || snap.SucceededCharges != 0 {
		t.Errorf("after decline: %+v", snap)
	}

	// The same key and parameters replay the decline without a new attempt.
	_, err = sc.V1Invoices.Pay(ctx, r.InvoiceID, payParams("k-decline"))
	if se2 := stripeErr(t, err); se2.ChargeID != se.ChargeID || se2.DeclineCode != "do_not_honor" {
		t.Errorf("replayed decline = %+v", se2)
	}
	if snap, _ := fake.Invoice(r.InvoiceID); snap.AttemptCount != 1 || snap.Charges != 2 {
		t.Errorf("replay made an attempt: %+v", snap)
	}
}

func TestIdempotencyReplaysByteForByte(t *testing.T) {
	fake, sc := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/invoices/" + r.InvoiceID + "/pay"
	form := url.Values{"off_session": {"true"}, "expand[0]": {"payments"}}
	status1, hdr1, body1 := rawPost(t, fake, path, "same", form)
	status2, hdr2, body2 := rawPost(t, fake, path, "same", form)
	if status1 != 200 || status2 != 200 || !bytes.Equal(body1, body2) {
		t.Fatalf("replay differs: %d %d\n%s\n%s", status1, status2, body1, body2)
	}
	if hdr1.Get("Idempotent-Replayed") != "" || hdr2.Get("Idempotent-Replayed") != "true" ||
		hdr2.Get("Original-Request") != hdr1.Get("Request-Id") {
		t.Errorf("replay headers: first %v, second %v", hdr1, hdr2)
	}

	// Same key, other parameters: refused, whatever the endpoint.
	_, err = sc.V1Invoices.Pay(context.Background(), r.InvoiceID,
		&stripe.InvoicePayParams{Params: stripe.Params{IdempotencyKey: stripe.String("same")}, OffSession: stripe.Bool(false)})
	if se := stripeErr(t, err); se.HTTPStatusCode != 400 || se.Type != stripe.ErrorTypeIdempotency {
		t.Errorf("other params with the same key: %+v", se)
	}
	if n := fake.SucceededCharges(r.InvoiceID); n != 1 {
		t.Errorf("succeeded charges = %d, want 1", n)
	}
	// Paying again with a new key is refused: the invoice is paid.
	_, err = sc.V1Invoices.Pay(context.Background(), r.InvoiceID, payParams("new"))
	if se := stripeErr(t, err); se.HTTPStatusCode != 400 || se.Type != stripe.ErrorTypeInvalidRequest {
		t.Errorf("paying a paid invoice: %+v", se)
	}
}

func TestScriptedServerErrorIsSavedAndReplayed(t *testing.T) {
	fake, _ := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	fake.ScriptPay(r.InvoiceID, stripefake.HTTPError(500), stripefake.Succeed())
	path := "/v1/invoices/" + r.InvoiceID + "/pay"
	for i := range 2 {
		status, hdr, body := rawPost(t, fake, path, "k500", url.Values{})
		if status != 500 || hdr.Get("Stripe-Should-Retry") != "false" || !bytes.Contains(body, []byte(`"api_error"`)) {
			t.Errorf("call %d: %d %v %s", i, status, hdr, body)
		}
	}
	if snap, _ := fake.Invoice(r.InvoiceID); snap.PendingScript != 1 || snap.Charges != 1 {
		t.Errorf("after replayed 500: %+v", snap)
	}
	if status, _, _ := rawPost(t, fake, path, "k-next", url.Values{}); status != 200 {
		t.Errorf("next key: status %d", status)
	}
}

func TestHangAndLostResponse(t *testing.T) {
	fake, sc := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	fake.ScriptPay(r.InvoiceID, stripefake.Hang(), stripefake.LoseResponse(stripefake.Succeed()))

	pay := func(key string) (*stripe.Invoice, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		return sc.V1Invoices.Pay(ctx, r.InvoiceID, payParams(key))
	}
	// Hang: the client gives up, nothing happened, and the key is free again.
	if _, err := pay("k-hang"); err == nil {
		t.Fatal("hang: want a timeout")
	}
	if snap, _ := fake.Invoice(r.InvoiceID); snap.Charges != 1 || snap.Status != "open" {
		t.Errorf("after hang: %+v", snap)
	}
	// Lost response: the charge happens, the client times out, and the retry with the same
	// key hears the saved success.
	if _, err := pay("k-lost"); err == nil {
		t.Fatal("lost response: want a timeout")
	}
	if snap, _ := fake.Invoice(r.InvoiceID); snap.Status != "paid" || snap.SucceededCharges != 1 {
		t.Errorf("after lost response: %+v", snap)
	}
	inv, err := pay("k-lost")
	if err != nil || inv.Status != stripe.InvoiceStatusPaid {
		t.Fatalf("retry after lost response: %v %v", inv, err)
	}
	if n := fake.SucceededCharges(r.InvoiceID); n != 1 {
		t.Errorf("succeeded charges = %d, want 1", n)
	}
}

func TestPaymentMethodBehaviourAndChoice(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{
		Decline:   stripefake.CardDeclined("insufficient_funds"),
		Behaviour: stripefake.Declined(stripefake.CardDeclined("insufficient_funds")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.V1Invoices.Pay(ctx, r.InvoiceID, payParams("a")); stripeErr(t, err).DeclineCode != "insufficient_funds" {
		t.Errorf("default card: %v", err)
	}
	good := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: r.CustomerID, Brand: "amex"})
	p := payParams("b")
	p.PaymentMethod = stripe.String(good)
	inv, err := sc.V1Invoices.Pay(ctx, r.InvoiceID, p)
	if err != nil || inv.Status != stripe.InvoiceStatusPaid {
		t.Fatalf("paying with a good card: %v %v", inv, err)
	}
	if st := fake.SubscriptionStatus(r.SubscriptionID); st != "active" {
		t.Errorf("subscription %s after payment, want active", st)
	}
}

func TestCancelAndMarkUncollectibleAnswerLikeStripe(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := sc.V1Subscriptions.Cancel(ctx, r.SubscriptionID, nil)
	if err != nil || sub.Status != stripe.SubscriptionStatusCanceled {
		t.Fatalf("cancel: %v %v", sub, err)
	}
	_, err = sc.V1Subscriptions.Cancel(ctx, r.SubscriptionID, nil)
	if se := stripeErr(t, err); se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing {
		t.Errorf("second cancel: %+v", se)
	}
	if sub, err := sc.V1Subscriptions.Retrieve(ctx, r.SubscriptionID, nil); err != nil || sub.Status != "canceled" {
		t.Errorf("retrieve cancelled: %v %v", sub, err)
	}

	inv, err := sc.V1Invoices.MarkUncollectible(ctx, r.InvoiceID, nil)
	if err != nil || inv.Status != stripe.InvoiceStatusUncollectible {
		t.Fatalf("mark uncollectible: %v %v", inv, err)
	}
	_, err = sc.V1Invoices.MarkUncollectible(ctx, r.InvoiceID, nil)
	if se := stripeErr(t, err); se.HTTPStatusCode != 400 || se.Type != stripe.ErrorTypeInvalidRequest {
		t.Errorf("second mark uncollectible: %+v", se)
	}
	if evs := fake.EventsOfType("invoice.marked_uncollectible"); len(evs) != 1 {
		t.Errorf("invoice.marked_uncollectible events = %d", len(evs))
	}
	if evs := fake.EventsOfType("customer.subscription.deleted"); len(evs) != 1 {
		t.Errorf("customer.subscription.deleted events = %d", len(evs))
	}
}

func TestHangHoldsTheKeyUntilTheClientLeaves(t *testing.T) {
	fake, sc := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	fake.ScriptPay(r.InvoiceID, stripefake.Hang())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := sc.V1Invoices.Pay(ctx, r.InvoiceID, payParams("k-held"))
		done <- err
	}()
	if err := fake.WaitHanging(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	_, err = sc.V1Invoices.Pay(context.Background(), r.InvoiceID, payParams("k-held"))
	if se := stripeErr(t, err); se.HTTPStatusCode != http.StatusConflict || se.Code != stripe.ErrorCodeIdempotencyKeyInUse {
		t.Errorf("concurrent request with the key: %+v", se)
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("hanging request returned without error")
	}
}
