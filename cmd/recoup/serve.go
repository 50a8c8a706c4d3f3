package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"riverqueue.com/riverui"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/expreport"
	"github.com/recoup-hq/recoup/internal/clientip"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/metrics"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi"
	"github.com/recoup-hq/recoup/tracing"
	"github.com/recoup-hq/recoup/web"
)

// realClock is the wall clock; only cmd and adapters read it.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Run starts the service and blocks until ctx is cancelled (SIGINT or SIGTERM).
func (c *ServeCmd) Run(ctx context.Context, g *Globals) error {
	pol, err := c.validate()
	if err != nil {
		return err
	}
	// Traces: off unless the standard OTEL_* variables ask for them (docs/observability.md).
	stopTracing, traced, err := tracing.Setup(ctx, serviceVersion(), g.Logger())
	if err != nil {
		return err
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := stopTracing(flush); err != nil {
			g.Logger().Warn("traces not flushed", "error", err.Error())
		}
	}()
	if traced {
		g.Logger().Info("exporting traces over OTLP/HTTP")
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("RECOUP_LISTEN %s: %w", c.Listen, err)
	}
	a, err := c.newApp(ctx, g.DatabaseURL, pol, realClock{}, g.Logger())
	if err != nil {
		ln.Close()
		return err
	}
	defer a.close()
	if c.PolicyFile != "" {
		opts, err := policyOptions(c.Templates) // read at start already: the same directory
		if err != nil {
			return err
		}
		a.watchPolicy(ctx, c.PolicyFile, opts, c.PolicyPoll)
	}
	return a.serve(ctx, ln)
}

// app is a wired service: the backend, the engine, the job queue and the HTTP server.
type app struct {
	backend *backend
	stripe  *stripeapi.Client
	engine  *engine.Engine
	web     *web.Server
	metrics *metrics.Metrics
	policy  *policy.Policy
	clock   jobs.Clock
	log     *slog.Logger
	riverUI *riverui.Handler // River's job queue UI, mounted by the dashboard; started by serve
	// retentionDays is RECOUP_RETENTION_DAYS: serve empties older payloads and texts.
	retentionDays int
	// metricsLn, when RECOUP_METRICS_LISTEN is set, is where serve answers GET /metrics.
	metricsLn net.Listener
}

// newApp opens the database, applies migrations and wires the parts; serve starts it.
func (c *ServeCmd) newApp(ctx context.Context, dbURL string, pol *policy.Policy, clock jobs.Clock, log *slog.Logger) (*app, error) {
	a := &app{policy: pol, clock: clock, log: log, retentionDays: c.RetentionDays}
	// Failed Stripe requests and the key's state feed the metrics (the operations page);
	// a.metrics is set below, before any request, and counting on a nil Metrics does nothing.
	gw, err := stripeapi.New(stripeapi.Config{SecretKey: c.SecretKey, APIBase: c.APIBase, RateLimit: c.RateLimit, Logger: log,
		OnError:     func(kind string) { a.metrics.StripeError(kind) },
		OnKeyChange: func(s stripeapi.KeyStatus) { a.metrics.StripeKey(s.State == stripeapi.KeyRefused, len(s.Denied)) },
	})
	if err != nil {
		return nil, fmt.Errorf("STRIPE_SECRET_KEY/STRIPE_API_BASE: %w", err)
	}
	a.stripe = gw
	b, err := openBackend(ctx, dbURL, jobs.Config{
		Clock: clock, Workers: c.Workers, ReconcileEvery: c.ReconcileEvery, Logger: log,
		JobTimeout: c.jobTimeout, RescueStuckAfter: c.rescueAfter,
		Lag: func(kind string, d time.Duration) { a.metrics.JobLag(kind, d) },
	})
	if err != nil {
		return nil, err
	}
	if err := b.Migrate(ctx); err != nil {
		b.close()
		return nil, err
	}
	a.backend = b
	a.metrics = metrics.New(b.store)
	cm, err := c.CommsFlags.build(pol, gw, clock.Now)
	if err != nil {
		b.close()
		return nil, err
	}
	log.Info("customer messages", cm.describe()...)
	pz, err := c.LLMFlags.build(b.store)
	if err != nil {
		b.close()
		return nil, err
	}
	log.Info("message personalization", c.LLMFlags.describe()...)
	a.engine = engine.New(engine.Config{Store: b.store, Gateway: gw, Policy: pol, Events: gw, Metrics: a.metrics, Logger: log,
		Notifier: cm.notifier, Renderer: cm.renderer, Customers: gw, Lifecycle: cm.sink, Personalizer: pz, Confirmation: cm.confirmation, Notices: cm.notices})
	dash, err := newDashboard(b, a.engine, a.metrics, func() dashboard.StripeKey { return dashboardKey(gw.KeyStatus()) }, clock, c, log)
	if err != nil {
		b.close()
		return nil, err
	}
	a.riverUI = dash.riverUI
	if cm.links != nil {
		cm.links.Offers = &web.OffersConfig{Engine: a.engine, Portal: gw} // shown where the policy has offers
		cm.links.TrustedProxies, _ = clientip.Parse(c.TrustedProxies)     // validated with the config
	}
	var reports web.ExperimentReports
	if er, ok := b.store.(recoup.ExperimentResults); ok {
		reports = expreport.Reader{Store: er, Policy: a.engine.Policy}
	}
	_, hsts := c.secureCookies()
	a.web = web.New(web.Config{
		Store: b.store, Intake: a.engine, Verifier: &stripeapi.WebhookVerifier{Secrets: c.webhookSecrets()},
		AdminToken: c.AdminToken, Metrics: a.metrics, Now: clock.Now, Logger: log, Ready: a.ready, Links: cm.links,
		Access: dash.access, Analytics: dash.analytics, Experiments: reports, Standing: a.engine, Dashboard: dash.dashboard.Handler(),
		HSTS: hsts, MetricsToken: c.MetricsToken, MetricsElsewhere: c.MetricsListen != "" || c.MetricsToken == "",
	})
	switch {
	case c.MetricsListen != "":
		if a.metricsLn, err = net.Listen("tcp", c.MetricsListen); err != nil {
			b.close()
			return nil, fmt.Errorf("RECOUP_METRICS_LISTEN %s: %w", c.MetricsListen, err)
		}
	case c.MetricsToken == "":
		log.Info("GET /metrics is not served: set RECOUP_METRICS_LISTEN (a separate address) or RECOUP_METRICS_TOKEN")
	}
	return a, nil
}

func (a *app) close() {
	if a.metricsLn != nil {
		a.metricsLn.Close()
	}
	a.backend.close()
}

// ready reports whether the service can do its work: the database answers, every migration
// is applied, and Stripe does not refuse the key.
func (a *app) ready(ctx context.Context) error {
	if err := a.backend.Ready(ctx); err != nil {
		return err
	}
	return a.stripeReady(ctx)
}

// serve runs the job queue and the HTTP server on ln until ctx is cancelled, then shuts both
// down gracefully.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	// The key is checked before the jobs start, so that a refused key is reported once, by
	// this check, before the first job meets it.
	a.checkStripeKey(ctx)
	a.watchStripeKey(ctx)
	// The file's experiment may have ended with an arm promoted (by an operator, while
	// recoup was stopped or from another process): new cases then follow the promoted policy.
	p, note, perr := a.inForce(ctx, a.policy)
	if perr != nil {
		ln.Close()
		return fmt.Errorf("the policy in force: %w", perr)
	}
	a.engine.SetPolicy(p)
	if err := a.backend.queue.Start(ctx, a.engine); err != nil {
		ln.Close()
		return fmt.Errorf("start job queue: %w", err)
	}
	if err := a.riverUI.Start(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("start River UI: %w", err)
	}
	a.recordPolicy(ctx, p, note)
	pd, _ := a.backend.store.(recoup.PersonalDataStore)
	keepRetention(ctx, pd, a.retentionDays, a.clock.Now, a.log)
	hs := a.web.HTTPServer(ln.Addr().String())
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	var ms *http.Server
	if a.metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.web.MetricsHandler())
		ms = a.web.HTTPServer(a.metricsLn.Addr().String())
		ms.Handler = mux
		go func() { errc <- ms.Serve(a.metricsLn) }()
		a.log.Info("metrics serving", "listen", a.metricsLn.Addr().String())
	}
	a.log.Info("recoup serving", "listen", ln.Addr().String(), "database", a.backend.kind,
		"policy_version", p.Version, "final_action", string(p.FinalAction), "policy_mode", string(p.Mode))

	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if e := hs.Shutdown(shutdown); e != nil && err == nil {
		err = e
	}
	if ms != nil {
		if e := ms.Shutdown(shutdown); e != nil && err == nil {
			err = e
		}
	}
	if e := a.backend.queue.Stop(shutdown); e != nil && err == nil {
		err = e
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	a.log.Info("recoup stopped")
	return err
}
