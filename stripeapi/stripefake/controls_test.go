package stripefake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
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

// With BlockVisaRetriesAfter, the fake blocks Visa retries past the threshold as Stripe does:
// a generic decline whose charge Stripe never sent to the network, with the outcome reason
// previously_declined_do_not_retry. Other brands are not blocked.
func TestBlockVisaRetries(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{BlockVisaRetriesAfter: 2})
	insufficient := stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))
	pay := func(invoiceID string) *stripe.ChargeOutcome {
		t.Helper()
		params := &stripe.InvoicePayParams{OffSession: stripe.Bool(true)}
		_, err := sc.V1Invoices.Pay(ctx, invoiceID, params)
		var se *stripe.Error
		if !errors.As(err, &se) || se.ChargeID == "" {
			t.Fatalf("pay: %v, want a decline", err)
		}
		ch, err := sc.V1Charges.Retrieve(ctx, se.ChargeID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Outcome.Reason == "previously_declined_do_not_retry" && (se.DeclineCode != "generic_decline" || se.Code != "card_declined") {
			t.Errorf("blocked charge's error %s/%s, want card_declined/generic_decline", se.Code, se.DeclineCode)
		}
		return ch.Outcome
	}

	visa, err := fake.NewFailedRenewal(stripefake.RenewalParams{Brand: "visa", Decline: stripefake.CardDeclined("insufficient_funds"), Behaviour: insufficient})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // two retries after the first failure: declined by the issuer
		if o := pay(visa.InvoiceID); o.NetworkStatus != "declined_by_network" {
			t.Fatalf("retry %d: outcome %+v, want declined by the network", i+1, o)
		}
	}
	for i := range 2 { // every further one: blocked by Stripe
		o := pay(visa.InvoiceID)
		if o.Type != "blocked" || o.NetworkStatus != "not_sent_to_network" || o.Reason != "previously_declined_do_not_retry" ||
			o.SellerMessage != "Stripe blocked this payment." {
			t.Fatalf("retry %d: outcome %+v, want Stripe's block", i+3, o)
		}
	}
	if paid, err := fake.AutoRetry(visa.InvoiceID); err != nil || paid {
		t.Fatalf("Stripe's own retry: paid=%v %v, want blocked too", paid, err)
	}

	mc, err := fake.NewFailedRenewal(stripefake.RenewalParams{Brand: "mastercard", Decline: stripefake.CardDeclined("insufficient_funds"), Behaviour: insufficient})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if o := pay(mc.InvoiceID); o.NetworkStatus != "declined_by_network" {
			t.Fatalf("Mastercard retry %d: outcome %+v, want declined by the network", i+1, o)
		}
	}
}

// A refused key and a missing permission are answered as Stripe answers them: 401 and 403
// with an invalid_request_error quoting the key masked but for its last four characters.
func TestRefuseKeyAndDenyPermission(t *testing.T) {
	const key = "sk_test_51SecretTail9876"
	fake := stripefake.New(stripefake.Options{}).Start()
	t.Cleanup(fake.Close)
	get := func(path string) (int, map[string]map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, fake.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]map[string]any
		if resp.StatusCode != http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, body
	}

	fake.RefuseKey(true)
	status, body := get("/v1/events?limit=1")
	want := map[string]any{"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_************9876"}
	if status != http.StatusUnauthorized || !reflect.DeepEqual(body["error"], want) {
		t.Errorf("refused key: %d %v, want 401 %v", status, body, want)
	}
	fake.RefuseKey(false)
	if status, _ := get("/v1/events?limit=1"); status != http.StatusOK {
		t.Errorf("key accepted again: %d, want 200", status)
	}

	fake.DenyPermission(http.MethodGet, "/v1/subscriptions", "rak_subscription_read")
	status, body = get("/v1/subscriptions/sub_1")
	msg, _ := body["error"]["message"].(string)
	if status != http.StatusForbidden || body["error"]["type"] != "invalid_request_error" ||
		!strings.Contains(msg, "'sk_test_************9876'") || !strings.Contains(msg, "Having the 'rak_subscription_read' permission") {
		t.Errorf("denied permission: %d %v, want 403 naming the permission", status, body)
	}
	if status, _ := get("/v1/events?limit=1"); status != http.StatusOK {
		t.Errorf("another endpoint: %d, want 200", status)
	}
}

// HangRequests holds the matching requests unanswered until the client gives up; after
// StopHanging they are answered.
func TestHangRequests(t *testing.T) {
	fake := stripefake.New(stripefake.Options{}).Start()
	t.Cleanup(fake.Close)
	fake.HangRequests(http.MethodGet, "/v1/events")
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fake.URL()+"/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk_test_hang")
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			err = errors.New("answered: " + res.Status)
		}
		done <- err
	}()
	if err := fake.WaitHanging(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the held request ended with %v, want the client's cancellation", err)
	}

	fake.StopHanging()
	req, _ = http.NewRequest(http.MethodGet, fake.URL()+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer sk_test_hang")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("after StopHanging: %s, want 200", res.Status)
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
