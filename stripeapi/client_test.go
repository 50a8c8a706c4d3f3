package stripeapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// recorder stands in for the clock's waits: it records each backoff and each rate-limit wait
// and returns at once, so tests count waits instead of timing them.
type recorder struct {
	mu       sync.Mutex
	backoffs []time.Duration
	limits   []time.Duration
}

func (r *recorder) backoff(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.backoffs = append(r.backoffs, d)
	return ctx.Err()
}

func (r *recorder) limit(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limits = append(r.limits, d)
	return ctx.Err()
}

// newTestClient returns a Client for the fake whose waits are recorded, not slept.
func newTestClient(t *testing.T, fake *stripefake.Server, cfg Config) (*Client, *recorder) {
	t.Helper()
	cfg.SecretKey = "sk_test_fake"
	cfg.APIBase = fake.URL()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	c.sleep = rec.backoff
	c.limiter.sleep = rec.limit
	return c, rec
}

func startFake(t *testing.T) *stripefake.Server {
	t.Helper()
	fake := stripefake.New(stripefake.Options{}).Start()
	t.Cleanup(fake.Close)
	return fake
}

func failedRenewal(t *testing.T, fake *stripefake.Server, p stripefake.RenewalParams) stripefake.Renewal {
	t.Helper()
	if p.Decline == (stripefake.Decline{}) {
		p.Decline = stripefake.CardDeclined("insufficient_funds")
	}
	r, err := fake.NewFailedRenewal(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewValidatesConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{SecretKey: "sk", APIBase: "127.0.0.1:12111"},
		{SecretKey: "sk", APIBase: "ftp://x"},
		{SecretKey: "sk", RateLimit: -1},
	} {
		if _, err := New(cfg); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("New(%+v) = %v, want invalid", cfg, err)
		}
	}
	c, err := New(Config{SecretKey: "sk"})
	if err != nil {
		t.Fatal(err)
	}
	if c.maxRetries != DefaultMaxNetworkRetries || c.limiter.rate != DefaultRateLimit || c.limiter.burst != 5 {
		t.Errorf("defaults: retries %d rate %v burst %v", c.maxRetries, c.limiter.rate, c.limiter.burst)
	}
}

func TestNewCopiesTheHTTPClientAndLogsQuietly(t *testing.T) {
	hc := &http.Client{Timeout: time.Second}
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := New(Config{SecretKey: "sk_test_secret_value", HTTPClient: hc, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if hc.Transport != nil {
		t.Error("New modified the caller's http.Client")
	}
	if c.limiter == nil {
		t.Fatal("no limiter")
	}
	l := stripeLogger{logger}
	l.Debugf("Response: %s", `{"client_secret":"pi_secret"}`)
	l.Errorf("Request error from Stripe (status %v)", 402)
	out := buf.String()
	if strings.Contains(out, "pi_secret") || !strings.Contains(out, "status 402") || !strings.Contains(out, "level=DEBUG") {
		t.Errorf("log = %q", out)
	}
	if strings.Contains(out, "sk_test_secret_value") {
		t.Error("the secret key was logged")
	}
}
