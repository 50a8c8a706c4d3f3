package stripeapi

import (
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// UseCard against the stateful fake: the subscription must end up charging the new card, by
// the least intrusive change, and a second call must change nothing.
func TestUseCard(t *testing.T) {
	tests := []struct {
		name         string
		subOwnsOld   bool // the subscription has its own default: the old card
		newIsDefault bool // the new card is the customer's invoice default (the portal's update)
		canceled     bool
		want         recoup.CardSwitch
		wantOwn      func(oldPM, newPM string) string // the subscription's own default after
	}{
		{name: "portal update behind a subscription default", subOwnsOld: true, newIsDefault: true,
			want: recoup.CardDefaultCleared, wantOwn: func(_, _ string) string { return "" }},
		{name: "attached card behind a subscription default", subOwnsOld: true,
			want: recoup.CardDefaultSet, wantOwn: func(_, n string) string { return n }},
		{name: "attached card, no subscription default", subOwnsOld: false,
			want: recoup.CardDefaultSet, wantOwn: func(_, n string) string { return n }},
		{name: "portal update, no subscription default", newIsDefault: true,
			want: recoup.CardAlreadyCharged, wantOwn: func(_, _ string) string { return "" }},
		{name: "cancelled subscription", subOwnsOld: true, canceled: true,
			want: recoup.CardSubscriptionEnded, wantOwn: func(o, _ string) string { return o }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := startFake(t)
			c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
			cus := fake.CreateCustomer(stripefake.CustomerParams{Email: "a@example.com"})
			oldPM := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: cus, Default: true})
			own := ""
			if tt.subOwnsOld {
				own = oldPM
			}
			sub := fake.CreateSubscription(stripefake.SubscriptionParams{Customer: cus, DefaultPaymentMethod: own})
			if tt.canceled {
				if err := c.CancelSubscription(t.Context(), sub, "cancel-"+sub); err != nil {
					t.Fatal(err)
				}
			}
			newPM := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: cus, Default: tt.newIsDefault})

			got, err := c.UseCard(t.Context(), sub, newPM, "use-card-1")
			if err != nil || got != tt.want {
				t.Fatalf("UseCard = %q, %v; want %q", got, err, tt.want)
			}
			if own, want := fake.SubscriptionPaymentMethod(sub), tt.wantOwn(oldPM, newPM); own != want {
				t.Errorf("subscription default %q, want %q", own, want)
			}
			updates := func() int {
				n := 0
				for _, r := range fake.Requests() {
					if r.Method == "POST" && r.Path == "/v1/subscriptions/"+sub {
						n++
					}
				}
				return n
			}
			before := updates()
			// Repeated (a re-run job): the subscription already charges the card.
			again, err := c.UseCard(t.Context(), sub, newPM, "use-card-2")
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != recoup.CardSubscriptionEnded && again != recoup.CardAlreadyCharged {
				t.Errorf("second UseCard = %q, want %q", again, recoup.CardAlreadyCharged)
			}
			if n := updates(); n != before {
				t.Errorf("second UseCard sent %d more updates", n-before)
			}
		})
	}
}

func TestUseCardRefusesEmptyIDs(t *testing.T) {
	c, _ := newTestClient(t, startFake(t), Config{MaxNetworkRetries: -1})
	for _, args := range [][3]string{{"", "pm_1", "k"}, {"sub_1", "", "k"}, {"sub_1", "pm_1", ""}} {
		if _, err := c.UseCard(t.Context(), args[0], args[1], args[2]); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("UseCard%q: %v, want EINVALID", args, err)
		}
	}
}

// Customer reads the address's country, which places notices in the customer's local time.
func TestCustomerCountry(t *testing.T) {
	fake := startFake(t)
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
	for _, country := range []string{"DE", ""} {
		id := fake.CreateCustomer(stripefake.CustomerParams{Email: "a@example.com", Country: country})
		cus, err := c.Customer(t.Context(), id)
		if err != nil || cus.Country != country || cus.Email != "a@example.com" {
			t.Errorf("Customer (country %q) = %+v, %v", country, cus, err)
		}
	}
}
