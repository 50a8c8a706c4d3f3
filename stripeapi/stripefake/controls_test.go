package stripefake_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/recoup-hq/recoup/stripeapi/stripefake"
	"github.com/stripe/stripe-go/v86"
)

func eventTypes(fake *stripefake.Server) []string {
	var out []string
	for _, ev := range fake.Events() {
		out = append(out, ev.Type)
	}
	return out
}

func TestFailRenewalRecordsWhatStripeDoes(t *testing.T) {
	fake, _ := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("expired_card")})
	if err != nil {
		t.Fatal(err)
	}
	snap, ok := fake.Invoice(r.InvoiceID)
	if !ok || snap.Status != "open" || snap.AttemptCount != 1 || !snap.Attempted || snap.Charges != 1 || snap.AmountRemaining != 2000 {
		t.Errorf("invoice = %+v", snap)
	}
	if st := fake.SubscriptionStatus(r.SubscriptionID); st != "past_due" {
		t.Errorf("subscription %s, want past_due", st)
	}
	types := eventTypes(fake)
	for _, want := range []string{"charge.failed", "payment_intent.payment_failed", "invoice.payment_failed",
		"invoice.updated", "customer.subscription.updated"} {
		if !slices.Contains(types, want) {
			t.Errorf("no %s in %v", want, types)
		}
	}
	if err := fake.FailRenewal("in_missing", stripefake.Decline{}); err == nil {
		t.Error("FailRenewal of a missing invoice succeeded")
	}
	if err := fake.PayByCustomer(r.InvoiceID, r.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	if err := fake.FailRenewal(r.InvoiceID, stripefake.Decline{}); err == nil {
		t.Error("FailRenewal of a paid invoice succeeded")
	}
}

// The trap the engine must handle: the customer's new default card does not replace a
// subscription's own default payment method.
func TestSubscriptionDefaultOutranksCustomerDefault(t *testing.T) {
	fake, _ := start(t, stripefake.Options{})
	cus := fake.CreateCustomer(stripefake.CustomerParams{Email: "c@example.com"})
	old := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: cus,
		Behaviour: stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))})
	sub := fake.CreateSubscription(stripefake.SubscriptionParams{Customer: cus, DefaultPaymentMethod: old})
	in := fake.CreateInvoice(stripefake.InvoiceParams{Customer: cus, Subscription: sub, AmountDue: 900})
	if err := fake.FailRenewal(in, stripefake.CardDeclined("insufficient_funds")); err != nil {
		t.Fatal(err)
	}

	fresh := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: cus})
	if err := fake.UpdateDefaultPaymentMethod(cus, fresh); err != nil {
		t.Fatal(err)
	}
	if fake.DefaultPaymentMethod(cus) != fresh {
		t.Fatal("customer default not updated")
	}
	if paid, err := fake.AutoRetry(in); err != nil || paid {
		t.Fatalf("retry with the subscription's old card: paid %v, %v", paid, err)
	}
	if err := fake.UpdateSubscriptionPaymentMethod(sub, fresh); err != nil {
		t.Fatal(err)
	}
	if paid, err := fake.AutoRetry(in); err != nil || !paid {
		t.Fatalf("retry with the new card: paid %v, %v", paid, err)
	}
	if snap, _ := fake.Invoice(in); snap.AttemptCount != 3 || snap.SucceededCharges != 1 {
		t.Errorf("invoice = %+v", snap)
	}
}

func TestVoidCancelAndDrafts(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("do_not_honor")})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Void(r.InvoiceID); err != nil {
		t.Fatal(err)
	}
	if err := fake.Void(r.InvoiceID); err == nil {
		t.Error("voided twice")
	}
	params := &stripe.InvoiceRetrieveParams{}
	params.AddExpand("payments.data.payment.payment_intent")
	inv, err := sc.V1Invoices.Retrieve(ctx, r.InvoiceID, params)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != stripe.InvoiceStatusVoid || inv.StatusTransitions.VoidedAt == 0 ||
		inv.Payments.Data[0].Payment.PaymentIntent.Status != stripe.PaymentIntentStatusCanceled {
		t.Errorf("voided invoice = %+v", inv)
	}

	if err := fake.CancelSubscription(r.SubscriptionID); err != nil {
		t.Fatal(err)
	}
	if err := fake.CancelSubscription(r.SubscriptionID); err == nil {
		t.Error("cancelled twice")
	}
	active := &stripe.SubscriptionListParams{Customer: stripe.String(r.CustomerID)}
	if n := len(sc.V1Subscriptions.List(ctx, active).Data()); n != 0 {
		t.Errorf("cancelled subscription listed by default (%d)", n)
	}
	all := &stripe.SubscriptionListParams{Customer: stripe.String(r.CustomerID), Status: stripe.String("all")}
	if n := len(sc.V1Subscriptions.List(ctx, all).Data()); n != 1 {
		t.Errorf("status=all lists %d subscriptions", n)
	}

	draft := fake.CreateInvoice(stripefake.InvoiceParams{Customer: r.CustomerID, AmountDue: 100, Status: "draft"})
	if _, err := sc.V1Invoices.Pay(ctx, draft, payParams("k-draft")); stripeErr(t, err).HTTPStatusCode != 400 {
		t.Errorf("paying a draft: %v", err)
	}
	if err := fake.SetPaymentMethodBehaviour("pm_missing", stripefake.Succeed()); err == nil {
		t.Error("behaviour set on a missing payment method")
	}
	if err := fake.UpdateDefaultPaymentMethod(r.CustomerID, "pm_missing"); err == nil {
		t.Error("default set to a missing payment method")
	}
}

// The card account updater refreshes a card in place: same id, new expiry, the event Stripe
// sends, and the card charges as the refresh says.
func TestRefreshCardKeepsTheIDAndSendsTheUpdatersEvent(t *testing.T) {
	fake, _ := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("expired_card"),
		Behaviour: stripefake.Declined(stripefake.CardDeclined("expired_card"))})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.RefreshCard(r.PaymentMethodID, stripefake.CardRefresh{ExpMonth: 4, ExpYear: 2031}); err != nil {
		t.Fatal(err)
	}
	evs := fake.EventsOfType("payment_method.automatically_updated")
	if len(evs) != 1 || evs[0].ObjectID != r.PaymentMethodID {
		t.Fatalf("events %+v, want one payment_method.automatically_updated of %s", evs, r.PaymentMethodID)
	}
	var ev struct {
		Data struct {
			Object struct {
				Customer string
				Card     struct {
					ExpMonth int `json:"exp_month"`
					ExpYear  int `json:"exp_year"`
				}
			}
		}
	}
	if err := json.Unmarshal(evs[0].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if o := ev.Data.Object; o.Customer != r.CustomerID || o.Card.ExpMonth != 4 || o.Card.ExpYear != 2031 {
		t.Errorf("event's card %+v, want the customer's card expiring 4/2031", o)
	}
	if paid, err := fake.AutoRetry(r.InvoiceID); err != nil || !paid {
		t.Fatalf("retry on the refreshed card: paid %v, %v", paid, err)
	}
	if err := fake.RefreshCard("pm_missing", stripefake.CardRefresh{}); err == nil {
		t.Error("RefreshCard of a missing card succeeded")
	}
}
