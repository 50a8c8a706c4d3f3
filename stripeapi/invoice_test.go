package stripeapi

import (
	"context"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
	"github.com/stripe/stripe-go/v86"
)

func TestInvoiceReadsEverything(t *testing.T) {
	at := time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return at }}).Start()
	t.Cleanup(fake.Close)
	r := failedRenewal(t, fake, stripefake.RenewalParams{Email: "bo@example.com", Country: "DE", AmountDue: 1999,
		Currency: "eur", Brand: "mastercard", Decline: allCodes})
	c, _ := newTestClient(t, fake, Config{})

	inv, err := c.Invoice(context.Background(), r.InvoiceID)
	if err != nil {
		t.Fatal(err)
	}
	lp, facts := inv.LastPayment, inv.Facts
	inv.LastPayment, inv.Facts = nil, nil
	// The expanded customer and subscription give the facts policy segments read.
	if facts == nil || facts.SubscriptionStatus == "" || !facts.CustomerCreated.Equal(at) {
		t.Errorf("facts = %+v", facts)
	}
	want := recoup.Invoice{
		ID: r.InvoiceID, CustomerID: r.CustomerID, SubscriptionID: r.SubscriptionID, CustomerEmail: "bo@example.com",
		CustomerCountry: "DE", Status: recoup.InvoiceOpen, AmountDue: 1999, AmountRemaining: 1999, Currency: "eur",
		AttemptCount: 1, Attempted: true, CollectionMethod: "charge_automatically", BillingReason: "subscription_cycle",
		AutoAdvance: true, Created: at,
	}
	if inv != want {
		t.Errorf("invoice = %+v\nwant      %+v", inv, want)
	}
	if lp == nil || lp.PaymentIntentID == "" || lp.PaymentMethodID != r.PaymentMethodID ||
		lp.Status != "requires_payment_method" || !lp.At.Equal(at) {
		t.Fatalf("last payment = %+v", lp)
	}
	wantDecline(t, lp.Decline, allCodes, "mastercard")

	// A partial payment outside Stripe's charge does not hide the decline being recovered.
	if err := fake.PayPart(r.InvoiceID, 999); err != nil {
		t.Fatal(err)
	}
	inv, err = c.Invoice(context.Background(), r.InvoiceID)
	if err != nil {
		t.Fatal(err)
	}
	if inv.AmountPaid != 999 || inv.AmountRemaining != 1000 || inv.LastPayment == nil || inv.LastPayment.PaymentIntentID != lp.PaymentIntentID {
		t.Fatalf("after a partial payment: %+v, last payment %+v", inv, inv.LastPayment)
	}
	wantDecline(t, inv.LastPayment.Decline, allCodes, "mastercard")

	_, err = c.Invoice(context.Background(), "in_missing")
	if code := recoup.ErrorCode(err); code != recoup.ENOTFOUND {
		t.Errorf("missing invoice: %q %v", code, err)
	}
}

func TestPaymentFromIntent(t *testing.T) {
	failed := &stripe.PaymentIntent{
		ID: "pi_1", Status: stripe.PaymentIntentStatusRequiresPaymentMethod, Created: 100,
		LastPaymentError: &stripe.Error{Type: stripe.ErrorTypeCard, Code: "expired_card", DeclineCode: "expired_card",
			PaymentMethod: &stripe.PaymentMethod{ID: "pm_old"}},
		LatestCharge: &stripe.Charge{ID: "ch_1", Created: 200, Status: stripe.ChargeStatusFailed, PaymentMethod: "pm_old",
			Outcome: &stripe.ChargeOutcome{Type: "issuer_declined"}},
	}
	p := paymentFromIntent(failed)
	if p.PaymentIntentID != "pi_1" || p.PaymentMethodID != "pm_old" || p.Status != "requires_payment_method" ||
		!p.At.Equal(unixTime(200)) || p.Decline == nil || p.Decline.DeclineCode != "expired_card" || p.Decline.OutcomeType != "issuer_declined" {
		t.Errorf("failed payment = %+v %+v", p, p.Decline)
	}
	ok := &stripe.PaymentIntent{ID: "pi_2", Status: stripe.PaymentIntentStatusSucceeded, Created: 100,
		PaymentMethod: &stripe.PaymentMethod{ID: "pm_new"}, LatestCharge: &stripe.Charge{ID: "ch_2"}}
	if p := paymentFromIntent(ok); p.Decline != nil || p.PaymentMethodID != "pm_new" || !p.At.Equal(unixTime(100)) {
		t.Errorf("succeeded payment = %+v", p)
	}
}

func TestLatestInvoicePayment(t *testing.T) {
	pay := func(id string, created int64, isDefault bool) *stripe.InvoicePayment {
		return &stripe.InvoicePayment{ID: id, Created: created, IsDefault: isDefault,
			Payment: &stripe.InvoicePaymentPayment{PaymentIntent: &stripe.PaymentIntent{ID: "pi_" + id}}}
	}
	tests := []struct {
		name string
		list *stripe.InvoicePaymentList
		want string
	}{
		{"not included", nil, ""},
		{"none", &stripe.InvoicePaymentList{}, ""},
		{"newest wins", &stripe.InvoicePaymentList{Data: []*stripe.InvoicePayment{pay("a", 1, true), pay("b", 5, false), pay("c", 3, false)}}, "b"},
		{"default wins a tie", &stripe.InvoicePaymentList{Data: []*stripe.InvoicePayment{pay("a", 5, false), pay("b", 5, true)}}, "b"},
		{"payment-less entries are skipped", &stripe.InvoicePaymentList{Data: []*stripe.InvoicePayment{{ID: "x", Created: 9}, pay("a", 1, true)}}, "a"},
		{"a payment made outside a charge is not an attempt", &stripe.InvoicePaymentList{Data: []*stripe.InvoicePayment{pay("a", 1, true),
			{ID: "rec", Created: 9, Payment: &stripe.InvoicePaymentPayment{Type: stripe.InvoicePaymentPaymentTypePaymentRecord, PaymentRecord: &stripe.PaymentRecord{ID: "pr_1"}}}}}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := latestInvoicePayment(tt.list)
			if (got == nil && tt.want != "") || (got != nil && got.ID != tt.want) {
				t.Errorf("got %v, want %q", got, tt.want)
			}
		})
	}
}

func TestToInvoice(t *testing.T) {
	in := &stripe.Invoice{
		ID: "in_1", Status: stripe.InvoiceStatusPaid, AmountDue: 500, AmountPaid: 500, AmountPaidOffStripe: 500,
		NextPaymentAttempt: 0, Created: 10, StatusTransitions: &stripe.InvoiceStatusTransitions{PaidAt: 20},
		CustomerName: "Ada Lovelace",
	}
	got := toInvoice(in)
	if got.CustomerName != "Ada Lovelace" || !got.PaidOutOfBand || !got.PaidAt.Equal(time.Unix(20, 0)) || !got.NextPaymentAttempt.IsZero() ||
		got.CustomerID != "" || got.SubscriptionID != "" || got.LastPayment != nil {
		t.Errorf("toInvoice = %+v", got)
	}
	// A charge-only payment (before PaymentIntents) is read from the charge.
	p := paymentFromCharge(&stripe.Charge{ID: "ch_1", Created: 30, Status: stripe.ChargeStatusFailed, PaymentMethod: "card_1",
		FailureCode: "card_declined", Outcome: &stripe.ChargeOutcome{Type: "issuer_declined", Reason: "generic_decline"}})
	if p.PaymentMethodID != "card_1" || p.Status != "failed" || p.Decline == nil || p.Decline.Code != "card_declined" ||
		p.Decline.OutcomeType != "issuer_declined" || p.Decline.DeclineCode != "generic_decline" {
		t.Errorf("paymentFromCharge = %+v %+v", p, p.Decline)
	}
}

func TestSubscriptionFacts(t *testing.T) {
	sub := &stripe.Subscription{ID: "sub_1", Status: stripe.SubscriptionStatusPastDue, Metadata: map[string]string{"plan": "pro"},
		Items: &stripe.SubscriptionItemList{Data: []*stripe.SubscriptionItem{
			{Price: &stripe.Price{ID: "price_y", Product: &stripe.Product{ID: "prod_1"}, Recurring: &stripe.PriceRecurring{Interval: "year", IntervalCount: 1}}},
			{Price: &stripe.Price{ID: "price_addon"}},
		}}}
	var f recoup.InvoiceFacts
	subscriptionFacts(&f, sub)
	if f.SubscriptionStatus != "past_due" || f.Interval != "year" || f.IntervalCount != 1 || len(f.PriceIDs) != 2 ||
		f.PriceIDs[1] != "price_addon" || len(f.ProductIDs) != 1 || f.SubscriptionMetadata["plan"] != "pro" {
		t.Fatalf("facts = %+v", f)
	}
}
