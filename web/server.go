// Package web is recoup's HTTP layer: the Stripe webhook endpoint, the JSON API for operators,
// health and readiness probes, the metrics endpoint, and the customer link pages (card
// update, unsubscribe). It stores webhook events and answers; processing happens later in a
// queued job.
//
// Handlers return an error instead of writing it; one wrapper (errors.go) turns the domain's
// error codes into HTTP statuses and JSON bodies, so that mapping exists only there.
package web

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/metrics"
)

// Intake stores a verified event and enqueues its processing in one transaction. It reports
// inserted=false when the event was already stored (a redelivery).
type Intake interface {
	Ingest(ctx context.Context, now time.Time, ev *recoup.Event) (inserted bool, err error)
}

// Verifier checks a webhook's Stripe-Signature against the raw body and parses the event. Its
// errors carry recoup.EUNAUTHORIZED for a missing, wrong or stale signature and
// recoup.EINVALID for a body that is not a usable event.
type Verifier interface {
	Verify(payload []byte, sigHeader string) (recoup.Event, error)
}

// DefaultMaxBodyBytes is the webhook body limit when Config.MaxBodyBytes is not set. Stripe's
// event payloads are a few kilobytes; invoices with many lines stay well below this.
const DefaultMaxBodyBytes int64 = 1 << 20

// Config is what the server needs. Store, Intake and Verifier are required.
type Config struct {
	Store    recoup.Store
	Intake   Intake
	Verifier Verifier
	// AdminToken is the bearer token of /api/v1. Empty closes the API: every request gets 401.
	AdminToken string
	// Metrics may be nil: nothing is counted and /metrics is not served.
	Metrics *metrics.Metrics
	// MetricsToken, when set, is the bearer token /metrics asks for: the exposition names
	// what the service does and how much, which is not for everyone who can reach it.
	MetricsToken string
	// MetricsElsewhere keeps /metrics off Handler: it is served on a separate listener
	// (MetricsHandler), or not at all.
	MetricsElsewhere bool
	// Now is the clock; nil means time.Now. Only this edge reads it and hands `now` inward.
	Now func() time.Time
	// Logger nil discards logs.
	Logger *slog.Logger
	// MaxBodyBytes limits a webhook body; 0 or less means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Ready reports whether the service can work: database reachable, store and job-queue
	// migrations applied. Nil falls back to Store.Ready, which does not know about the queue.
	Ready func(ctx context.Context) error
	// Links, optional, serves the customer link pages (card update, unsubscribe; links.go).
	Links *LinksConfig
	// Access, when set, lets users' own API tokens (recoup user token) open /api/v1 beside
	// the admin token.
	Access recoup.AccessStore
	// Analytics, when set, serves GET /api/v1/analytics/overview.
	Analytics recoup.AnalyticsStore
	// Experiments, when set, serves GET /api/v1/experiments/{name}.
	Experiments ExperimentReports
	// HSTS adds Strict-Transport-Security to every response: set it when browsers reach the
	// service over https (an https public URL), never on plain http.
	HSTS bool
	// Standing, when set, serves GET /api/v1/customers/{id}/access (the access signal).
	Standing Standing
	// Dashboard, when set, is served under /ui/ (dashboard.Dashboard.Handler, built with the
	// prefix "/ui"), and / redirects to it. It does its own authentication.
	Dashboard http.Handler
}

// Server serves recoup's HTTP endpoints. It holds no per-request state and may serve
// concurrently.
type Server struct {
	store    recoup.Store
	intake   Intake
	verifier Verifier
	metrics  *metrics.Metrics
	now      func() time.Time
	logger   *slog.Logger
	maxBody  int64
	ready    func(ctx context.Context) error
	links    *LinksConfig
	// linkGuard bounds replays of the customer links (linkguard.go); set with links.
	linkGuard *linkGuard

	// Optional parts: user API tokens, the analytics API, the dashboard.
	access      recoup.AccessStore
	analytics   recoup.AnalyticsStore
	experiments ExperimentReports
	standing    Standing
	dashboard   http.Handler
	hsts        bool
	// metricsToken is the SHA-256 of Config.MetricsToken, nil when there is none.
	metricsToken     []byte
	metricsElsewhere bool
	// tokenHash is the SHA-256 of the admin token, nil when there is none. Comparing hashes
	// keeps the comparison constant-time regardless of the presented token's length.
	tokenHash []byte

	// apiRoutes lists the patterns registered behind authentication, for tests that must
	// cover every one of them.
	apiRoutes []string
	handler   http.Handler
}

// New returns a server for cfg. It panics if Store, Intake or Verifier is nil: that is a wiring
// mistake to find at start-up, not a condition to handle.
func New(cfg Config) *Server {
	if cfg.Store == nil || cfg.Intake == nil || cfg.Verifier == nil {
		panic("web.New: Config.Store, Config.Intake and Config.Verifier are required")
	}
	if l := cfg.Links; l != nil && (l.Signer == nil || l.Portal == nil) {
		panic("web.New: Config.Links needs a Signer and a Portal")
	}
	s := &Server{
		store:    cfg.Store,
		intake:   cfg.Intake,
		verifier: cfg.Verifier,
		metrics:  cfg.Metrics,
		now:      cfg.Now,
		logger:   cfg.Logger,
		maxBody:  cfg.MaxBodyBytes,
		ready:    cfg.Ready,
		links:    cfg.Links,

		access:      cfg.Access,
		analytics:   cfg.Analytics,
		experiments: cfg.Experiments,
		standing:    cfg.Standing,
		dashboard:   cfg.Dashboard,
		hsts:        cfg.HSTS,

		metricsElsewhere: cfg.MetricsElsewhere,
	}
	if cfg.MetricsToken != "" {
		h := sha256.Sum256([]byte(cfg.MetricsToken))
		s.metricsToken = h[:]
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.links != nil {
		s.linkGuard = newLinkGuard(s.links.Limits)
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.ready == nil {
		s.ready = cfg.Store.Ready
	}
	if cfg.AdminToken != "" {
		h := sha256.Sum256([]byte(cfg.AdminToken))
		s.tokenHash = h[:]
	}
	s.handler = s.routes()
	return s
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer returns an http.Server for addr serving Handler, with every timeout set: a client
// must not hold a connection or a goroutine by sending slowly or not at all.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second, // headers and body; a webhook body is at most maxBody
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10, // a bearer token or a Stripe-Signature is far smaller
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
}

// routes builds the handler tree. Everything under /api/ goes through authentication as a
// whole, so an API route cannot be added without it.
func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	s.apiRoute(api, "GET /api/v1/cases", s.listCases)
	s.apiRoute(api, "GET /api/v1/cases/{id}", s.getCase)
	if s.analytics != nil {
		s.apiRoute(api, "GET /api/v1/analytics/overview", s.analyticsOverview)
		if _, ok := s.analytics.(recoup.CampaignStore); ok {
			s.apiRoute(api, "GET /api/v1/analytics/campaigns", s.analyticsCampaigns)
		}
	}

	if s.experiments != nil {
		s.apiRoute(api, "GET /api/v1/experiments/{name}", s.experimentReport)
	}
	if s.standing != nil {
		s.apiRoute(api, "GET /api/v1/customers/{id}/access", s.customerAccess)
	}

	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/stripe", s.handle(s.webhook))
	mux.Handle("/webhooks/stripe", s.handle(s.webhookWrongMethod))
	mux.Handle("GET /healthz", s.handle(s.healthz))
	mux.Handle("GET /readyz", s.handle(s.readyz))
	if s.metrics != nil && !s.metricsElsewhere {
		mux.Handle("GET /metrics", s.MetricsHandler())
	}
	mux.Handle("/api/", s.handle(s.authenticate(api)))
	s.linkRoutes(mux)
	if s.dashboard != nil {
		mux.Handle("/ui/", s.dashboard)
		mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusSeeOther))
	}
	return s.logRequests(securityHeaders(mux, s.hsts))
}

// apiRoute registers an authenticated API route on api.
func (s *Server) apiRoute(api *http.ServeMux, pattern string, h handlerFunc) {
	api.Handle(pattern, s.handle(h))
	s.apiRoutes = append(s.apiRoutes, pattern)
}
