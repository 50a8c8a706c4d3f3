package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/metrics"
	"github.com/recoup-hq/recoup/stripeapi"
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
	log := g.Logger()
	gw, err := stripeapi.New(stripeapi.Config{SecretKey: c.SecretKey, APIBase: c.APIBase, RateLimit: c.RateLimit, Logger: log})
	if err != nil {
		return fmt.Errorf("STRIPE_SECRET_KEY/STRIPE_API_BASE: %w", err)
	}
	var m *metrics.Metrics
	b, err := openBackend(ctx, g.DatabaseURL, jobs.Config{
		Clock: realClock{}, Workers: c.Workers, ReconcileEvery: c.ReconcileEvery, Logger: log,
		Lag: func(kind string, d time.Duration) { m.JobLag(kind, d) },
	})
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.Migrate(ctx); err != nil {
		return err
	}
	m = metrics.New(b.store)
	eng := engine.New(engine.Config{Store: b.store, Gateway: gw, Policy: pol, Events: gw, Metrics: m, Logger: log})
	srv := web.New(web.Config{
		Store: b.store, Intake: eng, Verifier: &stripeapi.WebhookVerifier{Secrets: c.webhookSecrets()},
		AdminToken: c.AdminToken, Metrics: m, Now: time.Now, Logger: log, Ready: b.Ready,
	})
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("RECOUP_LISTEN %s: %w", c.Listen, err)
	}
	if err := b.queue.Start(ctx, eng); err != nil {
		ln.Close()
		return fmt.Errorf("start job queue: %w", err)
	}
	hs := srv.HTTPServer(c.Listen)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("recoup serving", "listen", ln.Addr().String(), "database", b.kind, "policy_version", pol.Version,
		"final_action", string(pol.FinalAction), "api_enabled", c.AdminToken != "")

	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if e := hs.Shutdown(shutdown); e != nil && err == nil {
		err = e
	}
	if e := b.queue.Stop(shutdown); e != nil && err == nil {
		err = e
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("recoup stopped")
	return err
}
