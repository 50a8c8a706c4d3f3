package stripefake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/recoup-hq/recoup/stripeapi/stripefake"
	"github.com/stripe/stripe-go/v86"
)

func TestObjectsDecodeInStripeGo(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{
		Email: "ann@example.com", Country: "FR", AmountDue: 4200, Currency: "eur", Brand: "mastercard",
		Decline: stripefake.Decline{DeclineCode: "insufficient_funds", AdviceCode: "try_again_later",
			NetworkAdviceCode: "02", NetworkDeclineCode: "51", Message: "Your card has insufficient funds."},
	})
	if err != nil {
		t.Fatal(err)
	}

	params := &stripe.InvoiceRetrieveParams{}
	params.AddExpand("payments.data.payment.payment_intent.latest_charge")
	inv, err := sc.V1Invoices.Retrieve(ctx, r.InvoiceID, params)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != stripe.InvoiceStatusOpen || inv.AmountDue != 4200 || inv.AmountRemaining != 4200 ||
		inv.Currency != "eur" || inv.AttemptCount != 1 || !inv.Attempted ||
		inv.CollectionMethod != stripe.InvoiceCollectionMethodChargeAutomatically ||
		inv.CustomerEmail != "ann@example.com" || inv.Customer.ID != r.CustomerID ||
		inv.CustomerAddress.Country != "FR" || inv.BillingReason != "subscription_cycle" {
		t.Errorf("invoice decoded as %+v", inv)
	}
	if inv.Parent.SubscriptionDetails.Subscription.ID != r.SubscriptionID {
		t.Errorf("parent subscription = %q, want %q", inv.Parent.SubscriptionDetails.Subscription.ID, r.SubscriptionID)
	}
	if len(inv.Payments.Data) != 1 || !inv.Payments.Data[0].IsDefault {
		t.Fatalf("payments = %+v", inv.Payments)
	}
	pi := inv.Payments.Data[0].Payment.PaymentIntent
	if pi.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || pi.PaymentMethod != nil {
		t.Errorf("payment intent status %q, payment method %v", pi.Status, pi.PaymentMethod)
	}
	le := pi.LastPaymentError
	if le == nil || le.Type != stripe.ErrorTypeCard || le.Code != "card_declined" || le.DeclineCode != "insufficient_funds" ||
		le.AdviceCode != "try_again_later" || le.NetworkAdviceCode != "02" || le.NetworkDeclineCode != "51" ||
		le.PaymentMethod.ID != r.PaymentMethodID || le.PaymentMethod.Card.Brand != "mastercard" {
		t.Errorf("last_payment_error = %+v", le)
	}
	ch := pi.LatestCharge
	if ch.Status != stripe.ChargeStatusFailed || ch.Outcome.Type != "issuer_declined" ||
		ch.Outcome.NetworkDeclineCode != "51" || ch.PaymentMethodDetails.Card.Brand != "mastercard" ||
		ch.FailureCode != "card_declined" {
		t.Errorf("latest charge = %+v outcome %+v", ch, ch.Outcome)
	}

	cus, err := sc.V1Customers.Retrieve(ctx, r.CustomerID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cus.InvoiceSettings.DefaultPaymentMethod.ID != r.PaymentMethodID {
		t.Errorf("customer default payment method = %v", cus.InvoiceSettings.DefaultPaymentMethod)
	}
	sub, err := sc.V1Subscriptions.Retrieve(ctx, r.SubscriptionID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Status != stripe.SubscriptionStatusPastDue || sub.LatestInvoice.ID != r.InvoiceID {
		t.Errorf("subscription status %q latest invoice %v", sub.Status, sub.LatestInvoice)
	}
	pm, err := sc.V1PaymentMethods.Retrieve(ctx, r.PaymentMethodID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pm.Card.Brand != "mastercard" || pm.Card.Last4 != "4242" || pm.Card.ExpMonth != 12 || pm.Customer.ID != r.CustomerID {
		t.Errorf("payment method card = %+v", pm.Card)
	}

	_, err = sc.V1Invoices.Retrieve(ctx, "in_missing", nil)
	if se := stripeErr(t, err); se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing {
		t.Errorf("missing invoice: %+v", se)
	}
}

func TestEventListFiltersAndPaginates(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{})
	for range 3 {
		if _, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")}); err != nil {
			t.Fatal(err)
		}
	}
	params := &stripe.EventListParams{Types: stripe.StringSlice([]string{"invoice.payment_failed", "customer.created"})}
	params.Limit = stripe.Int64(2)
	var got []string
	for ev, err := range sc.V1Events.List(ctx, params).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.ID)
		if ev.Type != "invoice.payment_failed" && ev.Type != "customer.created" {
			t.Errorf("listed %s", ev.Type)
		}
	}
	var want []string
	for _, ev := range fake.Events() {
		if ev.Type == "invoice.payment_failed" || ev.Type == "customer.created" {
			want = append([]string{ev.ID}, want...) // newest first
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
	one, err := sc.V1Events.Retrieve(ctx, want[0], nil)
	if err != nil || one.ID != want[0] {
		t.Errorf("retrieve event: %v %v", one, err)
	}
}

func TestListsPaginateBothWays(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{})
	var ids []string
	for range 25 {
		ids = append([]string{fake.CreateCustomer(stripefake.CustomerParams{})}, ids...) // newest first
	}
	params := &stripe.CustomerListParams{}
	params.Limit = stripe.Int64(10)
	var got []string
	for c, err := range sc.V1Customers.List(ctx, params).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.ID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("forward %v, want %v", got, ids)
	}
	back := &stripe.CustomerListParams{}
	back.Limit = stripe.Int64(10)
	back.EndingBefore = stripe.String(ids[len(ids)-1])
	got = nil
	for c, err := range sc.V1Customers.List(ctx, back).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.ID)
	}
	want := slices.Clone(ids[:len(ids)-1])
	slices.Reverse(want) // stripe-go yields backward pages oldest first
	if !slices.Equal(got, want) {
		t.Errorf("backward %v, want %v", got, want)
	}
}

func TestListRefusesANonIntegerCreatedFilter(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{})
	if _, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")}); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, fake.URL()+"/v1/charges?created%5Bgte%5D=yesterday", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Error stripe.Error }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if e := body.Error; resp.StatusCode != http.StatusBadRequest || e.Type != stripe.ErrorTypeInvalidRequest ||
		e.Code != "parameter_invalid_integer" || e.Param != "created[gte]" {
		t.Fatalf("HTTP %d %+v, want 400 parameter_invalid_integer on created[gte]", resp.StatusCode, e)
	}
	ok := &stripe.ChargeListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: 1}}
	if err := sc.V1Charges.List(ctx, ok).Err(); err != nil {
		t.Fatalf("integer filter: %v", err)
	}
}
