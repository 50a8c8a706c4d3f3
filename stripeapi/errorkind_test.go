package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v86"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

func TestErrorKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"transport", errors.New("dial tcp: connection refused"), "connection"},
		{"cancelled", fmt.Errorf("get: %w", context.Canceled), ""},
		{"recoup's own", recoup.Errorf(recoup.EINVALID, "no invoice"), ""},
		{"decline", &stripe.Error{HTTPStatusCode: 402, Type: stripe.ErrorTypeCard, Code: stripe.ErrorCodeCardDeclined}, ""},
		{"rate limit", &stripe.Error{HTTPStatusCode: http.StatusTooManyRequests, Type: stripe.ErrorTypeInvalidRequest}, "rate_limit"},
		{"5xx", &stripe.Error{HTTPStatusCode: http.StatusBadGateway, Type: stripe.ErrorTypeAPI}, "api"},
		{"bad key", &stripe.Error{HTTPStatusCode: http.StatusUnauthorized, Type: stripe.ErrorTypeInvalidRequest}, "authentication"},
		{"permission", &stripe.Error{HTTPStatusCode: http.StatusForbidden, Type: stripe.ErrorTypeInvalidRequest}, "permission"},
		{"key in flight", &stripe.Error{HTTPStatusCode: http.StatusConflict, Type: stripe.ErrorTypeIdempotency}, "idempotency"},
		{"key reused", &stripe.Error{HTTPStatusCode: http.StatusBadRequest, Type: stripe.ErrorTypeIdempotency}, "idempotency"},
		{"not found", &stripe.Error{HTTPStatusCode: http.StatusNotFound, Type: stripe.ErrorTypeInvalidRequest}, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := errorKind(tc.err)
			if got != tc.want {
				t.Fatalf("errorKind = %q, want %q", got, tc.want)
			}
			if got != "" && !containsKind(got) {
				t.Fatalf("%q is not in ErrorKinds", got)
			}
		})
	}
}

func containsKind(k string) bool {
	for _, s := range ErrorKinds {
		if s == k {
			return true
		}
	}
	return false
}

// kinds counts Config.OnError's reports.
type kinds struct {
	mu sync.Mutex
	n  map[string]int
}

func (k *kinds) add(kind string) { k.mu.Lock(); defer k.mu.Unlock(); k.n[kind]++ }

// Every failed request is reported, retries included; a decline is not.
func TestFailedRequestsAreReported(t *testing.T) {
	ctx := context.Background()
	fake := startFake(t)
	r := failedRenewal(t, fake, stripefake.RenewalParams{})
	k := &kinds{n: map[string]int{}}
	c, _ := newTestClient(t, fake, Config{OnError: k.add})
	fake.FailNextRequests(2, http.StatusTooManyRequests)
	if _, err := c.Invoice(ctx, r.InvoiceID); err != nil {
		t.Fatal(err)
	}
	fake.FailNextRequests(1, http.StatusServiceUnavailable)
	fake.ScriptPay(r.InvoiceID, stripefake.Declined(stripefake.CardDeclined("insufficient_funds")))
	res, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k-declined"})
	if err != nil || res.Paid {
		t.Fatalf("Pay: want a decline, got %+v, %v", res, err)
	}
	if want := map[string]int{"rate_limit": 2, "api": 1}; fmt.Sprint(k.n) != fmt.Sprint(want) {
		t.Fatalf("reported %v, want %v", k.n, want)
	}
}
