package stripeapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// A local server answers the two reads of Renewals with fixed objects: one subscription with a
// card of its own, one falling back to the customer's invoice default, one set to cancel
// (no renewal) and one canceled.
func TestRenewals(t *testing.T) {
	card := func(id string, month, year int) string {
		return `{"id":"` + id + `","object":"payment_method","type":"card","card":{"brand":"visa","last4":"4242","exp_month":` +
			itoa(month) + `,"exp_year":` + itoa(year) + `}}`
	}
	item := func(end int64) string {
		return `{"object":"list","has_more":false,"data":[{"id":"si_1","object":"subscription_item","current_period_end":` + itoa64(end) +
			`,"quantity":2,"price":{"id":"price_1","object":"price","currency":"usd","unit_amount":1500}}]}`
	}
	renews := time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/subscriptions":
			_, _ = io.WriteString(w, `{"object":"list","has_more":false,"url":"/v1/subscriptions","data":[`+
				`{"id":"sub_own","object":"subscription","status":"active","cancel_at_period_end":false,"default_payment_method":`+card("pm_own", 3, 2026)+`,"items":`+item(renews.Unix())+`},`+
				`{"id":"sub_def","object":"subscription","status":"trialing","cancel_at_period_end":false,"default_payment_method":null,"items":`+item(renews.Unix())+`},`+
				`{"id":"sub_end","object":"subscription","status":"active","cancel_at_period_end":true,"default_payment_method":null,"items":`+item(renews.Unix())+`},`+
				`{"id":"sub_gone","object":"subscription","status":"canceled","cancel_at_period_end":false,"default_payment_method":null,"items":`+item(renews.Unix())+`}]}`)
		case "/v1/customers/cus_1":
			_, _ = io.WriteString(w, `{"id":"cus_1","object":"customer","invoice_settings":{"default_payment_method":`+card("pm_def", 4, 2026)+`}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{SecretKey: "sk_test_x", APIBase: srv.URL, MaxNetworkRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Renewals(t.Context(), "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	want := []recoup.Renewal{
		{CustomerID: "cus_1", SubscriptionID: "sub_own", RenewsAt: renews, Amount: recoup.Money{Amount: 3000, Currency: "usd"},
			PaymentMethodID: "pm_own", CardExpiresAt: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{CustomerID: "cus_1", SubscriptionID: "sub_def", RenewsAt: renews, Amount: recoup.Money{Amount: 3000, Currency: "usd"},
			PaymentMethodID: "pm_def", CardExpiresAt: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
	}
	if len(got) != len(want) {
		t.Fatalf("renewals %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("renewal %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// The card of sub_own expires in March, before the April renewal; pm_def lasts through April.
	if !got[0].CardExpiresBefore() || got[1].CardExpiresBefore() {
		t.Errorf("CardExpiresBefore: %v %v", got[0].CardExpiresBefore(), got[1].CardExpiresBefore())
	}
	if len(paths) != 2 {
		t.Errorf("requests %v, want the listing and one customer read", paths)
	}
}

func itoa(n int) string     { return itoa64(int64(n)) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
