package stripeapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

func TestLimiterCountsTokens(t *testing.T) {
	now := time.Unix(1000, 0)
	var waits []time.Duration
	advance := func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		now = now.Add(d) // waiting moves the virtual clock
		return nil
	}
	l := newLimiter(4, func() time.Time { return now }, advance) // 4/s: burst 1
	for range 5 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// One request from the burst, then one every quarter second.
	if len(waits) != 4 {
		t.Fatalf("waits = %v, want 4", waits)
	}
	for _, d := range waits {
		if d != 250*time.Millisecond {
			t.Errorf("wait %v, want 250ms", d)
		}
	}
	// An idle period refills the bucket only up to the burst.
	now = now.Add(10 * time.Second)
	waits = nil
	l.wait(context.Background())
	l.wait(context.Background())
	if len(waits) != 1 {
		t.Errorf("after idling: waits = %v, want 1", waits)
	}
	if req, w := l.counts(); req != 7 || w != 5 {
		t.Errorf("counts = %d requests, %d waits; want 7, 5", req, w)
	}

	// A caller whose context ends while waiting gives its token back.
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := newLimiter(4, func() time.Time { return now }, func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	})
	cancelled.wait(context.Background()) // takes the burst
	if err := cancelled.wait(ctx); err == nil {
		t.Fatal("want the context's error")
	}
	if req, _ := cancelled.counts(); req != 1 {
		t.Errorf("admitted %d, want 1", req)
	}
}

func TestEveryRequestPassesTheLimiter(t *testing.T) {
	fake := startFake(t)
	r := failedRenewal(t, fake, stripefake.RenewalParams{})
	c, rec := newTestClient(t, fake, Config{RateLimit: 4, RetryBaseDelay: time.Millisecond})
	fake.FailNextRequests(2, http.StatusInternalServerError)
	if _, err := c.Invoice(context.Background(), r.InvoiceID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pay(context.Background(), recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k"}); err != nil {
		t.Fatal(err)
	}
	sent := len(fake.Requests())
	admitted, waited := c.limiter.counts()
	if admitted != sent {
		t.Errorf("limiter admitted %d requests, the fake received %d", admitted, sent)
	}
	// 4/s gives a burst of 1: every request after the first had to wait for its token.
	if waited != sent-1 || len(rec.limits) != sent-1 {
		t.Errorf("waited %d times (%d recorded) for %d requests", waited, len(rec.limits), sent)
	}
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	t.Run("5xx then success", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		c, rec := newTestClient(t, fake, Config{RetryBaseDelay: 100 * time.Millisecond})
		before := len(fake.Requests())
		fake.FailNextRequests(2, http.StatusServiceUnavailable)
		inv, err := c.Invoice(ctx, r.InvoiceID)
		if err != nil || inv.ID != r.InvoiceID {
			t.Fatalf("Invoice: %v %v", inv.ID, err)
		}
		if n := len(fake.Requests()) - before; n != 4 { // 2 failures, invoice, payment intent
			t.Errorf("requests = %d, want 4", n)
		}
		if len(rec.backoffs) != 2 || rec.backoffs[0] < 50*time.Millisecond || rec.backoffs[0] > 100*time.Millisecond ||
			rec.backoffs[1] < 100*time.Millisecond || rec.backoffs[1] > 200*time.Millisecond {
			t.Errorf("backoffs = %v", rec.backoffs)
		}
	})
	t.Run("429 on pay then success, one charge", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		c, _ := newTestClient(t, fake, Config{})
		fake.FailNextRequests(2, http.StatusTooManyRequests)
		res, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k429"})
		if err != nil || !res.Paid {
			t.Fatalf("Pay: %+v %v", res, err)
		}
		if n := fake.PayCalls("k429"); n != 3 {
			t.Errorf("pay calls = %d, want 3", n)
		}
		if n := fake.SucceededCharges(r.InvoiceID); n != 1 {
			t.Errorf("succeeded charges = %d", n)
		}
	})
	t.Run("exhausted", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		c, rec := newTestClient(t, fake, Config{MaxNetworkRetries: 2})
		fake.FailNextRequests(10, http.StatusBadGateway)
		_, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "kx"})
		if code := recoup.ErrorCode(err); code != recoup.EUNAVAILABLE {
			t.Fatalf("code %q (%v), want unavailable", code, err)
		}
		if n := fake.PayCalls("kx"); n != 3 || len(rec.backoffs) != 2 {
			t.Errorf("pay calls = %d, backoffs %v", n, rec.backoffs)
		}
	})
	t.Run("Stripe-Should-Retry false is obeyed", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		fake.ScriptPay(r.InvoiceID, stripefake.HTTPError(500))
		c, _ := newTestClient(t, fake, Config{})
		_, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "k500"})
		if code := recoup.ErrorCode(err); code != recoup.EUNAVAILABLE {
			t.Fatalf("code %q (%v)", code, err)
		}
		if n := fake.PayCalls("k500"); n != 1 {
			t.Errorf("pay calls = %d, want 1", n)
		}
	})
	t.Run("retries disabled", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
		fake.FailNextRequests(1, http.StatusInternalServerError)
		if _, err := c.Invoice(ctx, r.InvoiceID); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("context ends during backoff", func(t *testing.T) {
		fake := startFake(t)
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		c, _ := newTestClient(t, fake, Config{})
		cctx, cancel := context.WithCancel(ctx)
		c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
		fake.FailNextRequests(5, http.StatusInternalServerError)
		before := len(fake.Requests())
		if _, err := c.Invoice(cctx, r.InvoiceID); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
			t.Errorf("err = %v", err)
		}
		if n := len(fake.Requests()) - before; n != 1 {
			t.Errorf("requests = %d, want 1", n)
		}
	})
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	c := &Client{baseDelay: 100 * time.Millisecond, maxDelay: time.Second}
	for attempt, full := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		full *= time.Millisecond
		for range 20 {
			if d := c.backoff(attempt); d < full/2 || d > full {
				t.Errorf("backoff(%d) = %v, want in [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
}
