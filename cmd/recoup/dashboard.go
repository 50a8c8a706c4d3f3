package main

import (
	"fmt"
	"log/slog"
	"net"

	"riverqueue.com/riverui"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/internal/clientip"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/metrics"
)

// dashboardParts are what web.Config needs for the dashboard, user API tokens and analytics,
// and River's UI, which serve must start.
type dashboardParts struct {
	access    recoup.AccessStore
	analytics recoup.AnalyticsStore
	dashboard *dashboard.Dashboard
	riverUI   *riverui.Handler
}

// newDashboard builds the dashboard on the store, with c's cookie and login settings
// (ServeCmd.secureCookies).
func newDashboard(b *backend, eng *engine.Engine, m *metrics.Metrics, stripeKey func() dashboard.StripeKey, clock jobs.Clock, c *ServeCmd, log *slog.Logger) (dashboardParts, error) {
	access, ok1 := b.store.(recoup.AccessStore)
	analytics, ok2 := b.store.(recoup.AnalyticsStore)
	if !ok1 || !ok2 {
		return dashboardParts{}, fmt.Errorf("the store %T does not support the dashboard", b.store)
	}
	secure, _ := c.secureCookies()
	proxies, err := clientip.Parse(c.TrustedProxies)
	if err != nil {
		return dashboardParts{}, fmt.Errorf("RECOUP_TRUSTED_PROXIES: %w", err)
	}
	ui, err := b.riverUI(log)
	if err != nil {
		return dashboardParts{}, err
	}
	d := dashboard.New(dashboard.Config{
		Store: b.store, Access: access, Analytics: analytics, Operator: eng, Policy: eng.Policy, SetPolicy: eng.SetPolicy,
		Metrics: m.Registry(), RiverUI: ui, SecureCookies: secure, Now: clock.Now, Logger: log,
		StripeKey: stripeKey, TrustedProxies: proxies, MaxConcurrentLogins: c.LoginConcurrency,
		IdleTimeout: c.SessionIdle, Locale: c.Locale,
	})
	return dashboardParts{access: access, analytics: analytics, dashboard: d, riverUI: ui}, nil
}

// loopback reports whether listen (host:port) is a loopback address or localhost.
func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
