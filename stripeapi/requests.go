package stripeapi

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v86"
)

// limiter is a token bucket shared by every request a Client sends. A request that finds the
// bucket empty reserves the next token and waits for it, so waiting requests are served in
// arrival order and never stampede. The burst is a quarter second's worth of requests (at
// least one): any one-second window holds at most 1.25 times the rate, which keeps the
// default of 20/s under Stripe's sandbox limit of 25/s.
type limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64 // negative while requests wait for reserved tokens
	last   time.Time
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error

	requests int // requests admitted, for tests
	waits    int // requests that had to wait, for tests
}

func newLimiter(rate float64, now func() time.Time, sleep func(context.Context, time.Duration) error) *limiter {
	burst := math.Max(1, math.Floor(rate/4))
	return &limiter{rate: rate, burst: burst, tokens: burst, last: now(), now: now, sleep: sleep}
}

// wait returns when the caller may send one request, or with ctx's error if ctx ends first.
func (l *limiter) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	now := l.now()
	if elapsed := now.Sub(l.last); elapsed > 0 {
		l.tokens = math.Min(l.burst, l.tokens+elapsed.Seconds()*l.rate)
		l.last = now
	}
	l.tokens--
	l.requests++
	var d time.Duration
	if l.tokens < 0 {
		d = time.Duration(-l.tokens / l.rate * float64(time.Second))
		l.waits++
	}
	l.mu.Unlock()
	if d <= 0 {
		return nil
	}
	if err := l.sleep(ctx, d); err != nil {
		// Give the reserved token back so that a cancelled caller does not slow the others.
		l.mu.Lock()
		l.tokens++
		l.requests--
		l.mu.Unlock()
		return err
	}
	return nil
}

// counts reports how many requests the limiter admitted and how many of them had to wait.
func (l *limiter) counts() (requests, waits int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.requests, l.waits
}

// limitedTransport makes every HTTP request, retries included, take a token first. Limiting
// at the transport rather than per call is what makes retries count against the budget.
type limitedTransport struct {
	base    http.RoundTripper // nil: http.DefaultTransport
	limiter *limiter
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.limiter.wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close() // RoundTrip must close the body, even on error
		}
		return nil, err
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

// sleepContext waits for d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// do runs call, one Stripe request, and retries it while retryable says so, up to
// c.maxRetries times, with exponential backoff and jitter between tries. call must send the
// same parameters each time, and calls that modify must carry an idempotency key so that a
// retry after a lost answer is replayed by Stripe rather than acted on twice. do returns
// call's last error unchanged; the caller maps it. The outcome tells the key tracker whether
// Stripe accepts the key.
func (c *Client) do(ctx context.Context, op string, call func() error) error {
	err := c.retry(ctx, op, call)
	c.key.observe(ctx, op, err)
	return err
}

// retry is do without the key tracking.
func (c *Client) retry(ctx context.Context, op string, call func() error) error {
	for attempt := 0; ; attempt++ {
		err := call()
		if err == nil {
			return nil
		}
		if kind := errorKind(err); kind != "" {
			c.onError(kind)
		}
		if attempt >= c.maxRetries || !retryable(ctx, err) {
			return err
		}
		delay := c.backoff(attempt)
		attrs := append([]slog.Attr{
			slog.String("op", op),
			slog.Int("retry", attempt+1),
			slog.Duration("delay", delay),
		}, errorAttrs(err)...)
		c.logger.LogAttrs(ctx, slog.LevelWarn, "stripe request failed; retrying", attrs...)
		if serr := c.sleep(ctx, delay); serr != nil {
			return err // the context ended while waiting: the last answer stands
		}
	}
}

// backoff is the wait before retry number attempt+1: RetryBaseDelay doubled per attempt, capped
// at RetryMaxDelay, then jittered down by up to half so that clients that failed together do
// not come back together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.baseDelay
	for i := 0; i < attempt && d < c.maxDelay; i++ {
		d *= 2
	}
	d = min(d, c.maxDelay)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// errorAttrs describes a failed request for the log: status, type, code and request id, never
// parameters or bodies.
func errorAttrs(err error) []slog.Attr {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return []slog.Attr{slog.String("error", err.Error())}
	}
	return []slog.Attr{
		slog.Int("status", se.HTTPStatusCode),
		slog.String("type", string(se.Type)),
		slog.String("code", string(se.Code)),
		slog.String("request_id", se.RequestID),
	}
}
