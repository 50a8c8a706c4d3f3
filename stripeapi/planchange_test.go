package stripeapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// The cheaper-plan offer's portal session against the stateful fake: the subscription update
// flow names the subscription, which must be the customer's and not canceled.
func TestSubscriptionUpdateURL(t *testing.T) {
	now := time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return now }}).Start()
	t.Cleanup(fake.Close)
	r := failedRenewal(t, fake, stripefake.RenewalParams{AmountDue: 9000})
	other := fake.CreateCustomer(stripefake.CustomerParams{Email: "other@example.com"})
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
	ctx := context.Background()

	u, err := c.SubscriptionUpdateURL(ctx, r.CustomerID, r.SubscriptionID, "https://shop.example/back")
	if err != nil || !strings.HasPrefix(u, "https://billing.stripe.com/") {
		t.Fatalf("SubscriptionUpdateURL = %q, %v", u, err)
	}
	s := fake.PortalSessions()
	if len(s) != 1 || s[0].Flow != "subscription_update" || s[0].Subscription != r.SubscriptionID || s[0].ReturnURL != "https://shop.example/back" {
		t.Fatalf("sessions %+v", s)
	}
	if _, err := c.SubscriptionUpdateURL(ctx, other, r.SubscriptionID, ""); !recoup.IsNotFound(err) {
		t.Errorf("another customer's subscription: %v, want ENOTFOUND", err)
	}
	if _, err := c.SubscriptionUpdateURL(ctx, r.CustomerID, "", ""); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("no subscription: %v, want EINVALID", err)
	}
	fake.FailNextRequests(1, 500)
	if _, err := c.SubscriptionUpdateURL(ctx, r.CustomerID, r.SubscriptionID, ""); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Errorf("Stripe 500: %v, want EUNAVAILABLE", err)
	}
}

// A customer's phone and SMS consent are read from Stripe.
func TestCustomerPhoneAndSMSConsent(t *testing.T) {
	fake := stripefake.New(stripefake.Options{}).Start()
	t.Cleanup(fake.Close)
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
	for _, tt := range []struct {
		meta string
		want bool
	}{{"yes", true}, {"TRUE", true}, {"no", false}, {"", false}} {
		id := fake.CreateCustomer(stripefake.CustomerParams{Phone: "+15550001111", Metadata: map[string]string{SMSConsentKey: tt.meta}})
		cus, err := c.Customer(context.Background(), id)
		if err != nil || cus.Phone != "+15550001111" || cus.SMSConsent != tt.want {
			t.Errorf("metadata %q: %+v %v, want consent %v", tt.meta, cus, err, tt.want)
		}
	}
}
