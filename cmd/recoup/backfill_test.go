package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

func TestBackfillImportsFailedInvoicesOnce(t *testing.T) {
	w := newWorld(t)
	w.fake.SetAutoDeliver(false) // the failures happened before recoup was installed
	var ids []string
	for _, code := range []string{"insufficient_funds", "expired_card"} {
		r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined(code)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.InvoiceID)
	}
	paid, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.fake.PayByCustomer(paid.InvoiceID, paid.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	url := sqliteURL(t)
	cmd := BackfillCmd{StripeFlags: StripeFlags{SecretKey: "sk_test_e2e", APIBase: w.fake.URL(), RateLimit: 100}, Since: "30d"}
	g := &Globals{DatabaseURL: url, LogLevel: "error"}
	for range 2 { // safe to re-run
		if err := cmd.Run(context.Background(), g, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	p := w.start(url)
	var page struct{ Cases []recoup.Case }
	p.api("/api/v1/cases", &page)
	if len(page.Cases) != 2 {
		t.Fatalf("%d cases, want 2 (the paid invoice needs none)", len(page.Cases))
	}
	p.waitState(ids[0], recoup.StateScheduled)
	p.waitState(ids[1], recoup.StateAwaitingCustomer)
}

func TestDatabaseKind(t *testing.T) {
	for url, want := range map[string]string{
		"recoup.db": "sqlite", "/var/lib/recoup/r.db": "sqlite", "sqlite:recoup.db": "sqlite", "sqlite:///tmp/x.db": "sqlite",
		"file:r.db?_pragma=x": "sqlite", "postgres://u@h/db": "postgres", "postgresql://u@h/db": "postgres",
	} {
		if got, err := databaseKind(url); err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", url, got, err, want)
		}
	}
	for _, url := range []string{"", "mysql://u@h/db"} {
		if _, err := databaseKind(url); err == nil {
			t.Errorf("%q accepted", url)
		}
	}
}

func TestServeConfigErrorsNameTheSetting(t *testing.T) {
	ok := ServeCmd{StripeFlags: StripeFlags{SecretKey: "sk_test_x", RateLimit: 20}, WebhookSecret: "whsec_x", Listen: "127.0.0.1:8080", Workers: 4,
		LoginConcurrency: 4, SessionIdle: time.Hour, Locale: "de-CH"}
	for _, tc := range []struct {
		name string
		edit func(c *ServeCmd)
		want string
	}{
		{"no key", func(c *ServeCmd) { c.SecretKey = "" }, "STRIPE_SECRET_KEY"},
		{"publishable key", func(c *ServeCmd) { c.SecretKey = "pk_test_x" }, "STRIPE_SECRET_KEY"},
		{"no webhook secret", func(c *ServeCmd) { c.WebhookSecret = "" }, "STRIPE_WEBHOOK_SECRET"},
		{"bad listen", func(c *ServeCmd) { c.Listen = "8080" }, "RECOUP_LISTEN"},
		{"short token", func(c *ServeCmd) { c.AdminToken = "abc" }, "RECOUP_ADMIN_TOKEN"},
		{"bad base", func(c *ServeCmd) { c.APIBase = "localhost:12111" }, "STRIPE_API_BASE"},
		{"missing policy", func(c *ServeCmd) { c.PolicyFile = "/nonexistent/policy.yaml" }, "RECOUP_POLICY"},
		{"fast reconcile", func(c *ServeCmd) { c.ReconcileEvery = 1 }, "RECOUP_RECONCILE_EVERY"},
		{"bad proxy", func(c *ServeCmd) { c.TrustedProxies = "10.0.0.0/8, proxy.local" }, "RECOUP_TRUSTED_PROXIES"},
		{"no login checks", func(c *ServeCmd) { c.LoginConcurrency = 0 }, "RECOUP_LOGIN_CONCURRENCY"},
		{"short idle timeout", func(c *ServeCmd) { c.SessionIdle = time.Second }, "RECOUP_SESSION_IDLE_TIMEOUT"},
		{"bad locale", func(c *ServeCmd) { c.Locale = "german please" }, "RECOUP_LOCALE"},
		{"no locale", func(c *ServeCmd) { c.Locale = "" }, "RECOUP_LOCALE"},
		{"bad metrics listen", func(c *ServeCmd) { c.MetricsListen = "9090" }, "RECOUP_METRICS_LISTEN"},
		{"short metrics token", func(c *ServeCmd) { c.MetricsToken = "abc" }, "RECOUP_METRICS_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			_, err := c.validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one naming %s", err, tc.want)
			}
		})
	}
	if _, err := ok.validate(); err != nil {
		t.Fatal(err)
	}
}
