package stripefake_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// Beyond RateLimit requests in one second of the fake's clock, Stripe answers 429 rate_limit;
// the next second takes requests again.
func TestRateLimitAnswers429(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix())
	fake, _ := start(t, stripefake.Options{Now: func() time.Time { return time.Unix(now.Load(), 0) }, RateLimit: 3, Latency: time.Millisecond})
	var statuses []int
	for range 5 {
		status, _, body := rawPost(t, fake, "/v1/customers", "", url.Values{"email": {"a@example.com"}})
		statuses = append(statuses, status)
		if status == http.StatusTooManyRequests && !strings.Contains(string(body), `"rate_limit"`) {
			t.Errorf("429 body %s, want Stripe's rate_limit error", body)
		}
	}
	for i, status := range statuses {
		if limited := status == http.StatusTooManyRequests; limited != (i >= 3) {
			t.Fatalf("statuses %v, want 429 from the fourth request on", statuses)
		}
	}
	now.Add(1)
	if status, _, _ := rawPost(t, fake, "/v1/customers", "", url.Values{"email": {"b@example.com"}}); status == http.StatusTooManyRequests {
		t.Errorf("the next second: status %d, want the endpoint's answer", status)
	}
}
