// Package stripeapi is recoup's Stripe adapter. Client implements recoup.Gateway on stripe-go's
// v1 client, lists events and failed invoices for reconciliation and backfill, and
// WebhookVerifier checks and parses webhook deliveries. Every HTTP request, including each
// retry, passes one client-side token bucket; retries of 429s, 5xx and transport failures are
// done here (not by stripe-go, whose loop retries neither JSON 5xx answers nor rate-limit 429s
// and sleeps without watching the context) and reuse the call's idempotency key. Stripe's
// failures are translated into recoup error codes at this edge, by status, type and code.
package stripeapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// Defaults for Config.
const (
	DefaultRateLimit         = 20 // requests per second; Stripe allows 25/s in sandbox, 100/s live
	DefaultMaxNetworkRetries = 3
	DefaultRetryBaseDelay    = 500 * time.Millisecond
	DefaultRetryMaxDelay     = 10 * time.Second
	// defaultHTTPTimeout is stripe-go's own default: long enough for slow card networks.
	defaultHTTPTimeout = 80 * time.Second
	defaultPageSize    = 100 // Stripe's maximum list page
)

// Config configures a Client. The zero value of each optional field selects its default.
type Config struct {
	SecretKey string
	// APIBase replaces Stripe's API URL, e.g. a stripefake server or stripe-mock; "" is Stripe's.
	APIBase string
	// RateLimit is the most requests per second the client sends, retries included; default 20.
	RateLimit float64
	// MaxNetworkRetries is how many times a failed request is retried after the first try;
	// 0 selects the default (3), a negative value disables retries.
	MaxNetworkRetries int
	// RetryBaseDelay is the first retry's backoff (doubled each time, with jitter, up to
	// RetryMaxDelay). Defaults 500ms and 10s.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// PageSize is how many objects a listing asks for per request; 0 selects Stripe's
	// maximum, 100 (a test reads several pages of a few objects).
	PageSize int
	// HTTPClient is copied, never modified; nil selects a client with an 80s timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// OnError, if set, is called with the kind of every failed request, retries included (see
	// ErrorKinds); a decline is the card's answer, not a failed request, and is not counted.
	OnError func(kind string)
	// OnKeyChange, if set, is called with the key's status each time it changes: refused,
	// accepted again, a permission denied or granted (see KeyStatus). It must not block.
	OnKeyChange func(KeyStatus)
}

// Client talks to Stripe for recoup. It is safe for concurrent use.
type Client struct {
	sc         *stripeServices
	limiter    *limiter
	logger     *slog.Logger
	maxRetries int
	baseDelay  time.Duration
	maxDelay   time.Duration
	pageSize   int64
	// sleep waits between retries; tests replace it to count backoffs without waiting.
	sleep func(ctx context.Context, d time.Duration) error
	// onError counts failed requests by kind (Config.OnError); never nil.
	onError func(kind string)
	// key is what Stripe's answers say of the API key.
	key *keyTracker
}

var _ recoup.Gateway = (*Client)(nil)

// New validates cfg, applies its defaults and returns a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	if cfg.SecretKey == "" {
		return nil, recoup.Errorf(recoup.EINVALID, "stripe: no secret key configured")
	}
	var base *string
	if cfg.APIBase != "" {
		u, err := url.Parse(cfg.APIBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, recoup.Errorf(recoup.EINVALID, "stripe: API base %q is not an http(s) URL", cfg.APIBase)
		}
		base = stripe.String(cfg.APIBase)
	}
	if cfg.RateLimit < 0 {
		return nil, recoup.Errorf(recoup.EINVALID, "stripe: negative rate limit %v", cfg.RateLimit)
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	switch {
	case cfg.MaxNetworkRetries == 0:
		cfg.MaxNetworkRetries = DefaultMaxNetworkRetries
	case cfg.MaxNetworkRetries < 0:
		cfg.MaxNetworkRetries = 0
	}
	if cfg.RetryBaseDelay <= 0 {
		cfg.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if cfg.RetryMaxDelay <= 0 {
		cfg.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if cfg.RetryMaxDelay < cfg.RetryBaseDelay {
		cfg.RetryMaxDelay = cfg.RetryBaseDelay
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	onError := cfg.OnError
	if onError == nil {
		onError = func(string) {}
	}
	lim := newLimiter(cfg.RateLimit, time.Now, sleepContext)
	hc := &http.Client{Timeout: defaultHTTPTimeout}
	if cfg.HTTPClient != nil {
		cp := *cfg.HTTPClient
		hc = &cp
	}
	hc.Transport = &limitedTransport{base: &tracedTransport{base: hc.Transport}, limiter: lim}

	backends := stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		HTTPClient:    hc,
		LeveledLogger: stripeLogger{logger},
		// Retries are ours (see retry.go): stripe-go's loop would retry only transport errors
		// and lock_timeout 429s, and would sleep through a cancelled context.
		MaxNetworkRetries: stripe.Int64(0),
		URL:               base,
	})
	return &Client{
		sc:         newStripeServices(backends.API, cfg.SecretKey),
		limiter:    lim,
		logger:     logger,
		maxRetries: cfg.MaxNetworkRetries,
		baseDelay:  cfg.RetryBaseDelay,
		maxDelay:   cfg.RetryMaxDelay,
		pageSize:   pageSizeOr(cfg.PageSize),
		sleep:      sleepContext,
		onError:    onError,
		key:        newKeyTracker(time.Now, logger, cfg.OnKeyChange),
	}, nil
}

// stripeLogger hands stripe-go's log lines to slog at debug level: the adapter logs what
// matters (retries, declines) itself. Debugf is dropped because stripe-go logs whole response
// bodies there, which would put customer data in the log.
type stripeLogger struct{ l *slog.Logger }

func (s stripeLogger) Debugf(string, ...any) {}

func (s stripeLogger) Infof(format string, v ...any) { s.log(format, v...) }

func (s stripeLogger) Warnf(format string, v ...any) { s.log(format, v...) }

func (s stripeLogger) Errorf(format string, v ...any) { s.log(format, v...) }

func (s stripeLogger) log(format string, v ...any) {
	if s.l.Enabled(context.Background(), slog.LevelDebug) {
		s.l.Debug(fmt.Sprintf(format, v...), slog.String("source", "stripe-go"))
	}
}

// unixTime converts a Stripe timestamp; 0 (Stripe's null) becomes the zero time.
func unixTime(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

func pageSizeOr(n int) int64 {
	if n <= 0 || n > defaultPageSize {
		return defaultPageSize
	}
	return int64(n)
}
