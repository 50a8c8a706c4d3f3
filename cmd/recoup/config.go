package main

import (
	"fmt"
	"golang.org/x/text/language"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/recoup-hq/recoup/internal/clientip"
	"github.com/recoup-hq/recoup/notify/templates"
	"github.com/recoup-hq/recoup/policy"
)

// CLI is recoup's whole configuration: global settings and one struct per command.
type CLI struct {
	Globals

	Demo       DemoCmd       `cmd:"" help:"Try recoup without a Stripe account: a simulated Stripe world in accelerated time, with the dashboard."`
	Serve      ServeCmd      `cmd:"" help:"Run the service: Stripe webhooks in, recovery cases, retries out."`
	Migrate    MigrateCmd    `cmd:"" help:"Apply the database migrations (serve also applies them on start)."`
	Backfill   BackfillCmd   `cmd:"" help:"Import the invoices already open and failed in the Stripe account."`
	Policy     PolicyCmd     `cmd:"" help:"Work with policy files."`
	Shadow     ShadowCmd     `cmd:"" help:"Observe-only (shadow) mode reports."`
	Experiment ExperimentCmd `cmd:"" help:"The experiments of the policy file: list, report, end and promote."`
	Case       CaseCmd       `cmd:"" help:"Operator actions on a case: approve a final action, start a payment plan."`
	Simulate   SimulateCmd   `cmd:"" help:"Run policies through a simulated world of failed payments and write an evaluation report."`
	Model      ModelCmd      `cmd:"" help:"Inspect or reset the learned retry-timing model."`
	History    HistoryCmd    `cmd:"" help:"Learn from the account's past: import its failed invoices and Stripe's retries of them."`
	User       UserCmd       `cmd:"" help:"Manage the dashboard's users and their API tokens."`
	Backup     BackupCmd     `cmd:"" help:"Copy the SQLite database to a file while recoup runs (PostgreSQL: use pg_dump)."`
	Version    VersionCmd    `cmd:"" help:"Print the version, commit and build date."`
	Health     HealthCmd     `cmd:"" name:"healthcheck" help:"Exit 0 when the recoup serve at RECOUP_LISTEN is ready (the container's health check)."`
	Customer   CustomerCmd   `cmd:"" help:"A customer's data requests: export or erase what recoup stores about them (docs/privacy.md)."`

	ShowVersion versionFlag `name:"version" help:"Print the version, commit and build date, and exit."`
}

// Globals are the settings every command shares.
type Globals struct {
	DatabaseURL string `name:"database-url" env:"DATABASE_URL" default:"recoup.db" help:"Database: a SQLite file path or sqlite: URL (default), or a postgres:// URL."`
	LogLevel    string `name:"log-level" env:"RECOUP_LOG_LEVEL" default:"info" enum:"debug,info,warn,error" help:"Log level: debug, info, warn or error."`
}

// Logger returns the process's logger: JSON lines on stderr.
func (g *Globals) Logger() *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(g.LogLevel))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
}

// StripeFlags are the settings of the Stripe API client.
type StripeFlags struct {
	// SecretKey is the Stripe secret or restricted API key (sk_... or rk_...).
	SecretKey    string  `kong:"-" secret:"STRIPE_SECRET_KEY"`
	OldSecretKey string  `name:"stripe-secret-key" hidden:"" removed:"STRIPE_SECRET_KEY"`
	APIBase      string  `name:"stripe-api-base" env:"STRIPE_API_BASE" help:"Override Stripe's API base URL (for stripe-mock or a fake)."`
	RateLimit    float64 `name:"stripe-rate-limit" env:"RECOUP_STRIPE_RATE_LIMIT" default:"20" help:"Most Stripe API requests per second (Stripe allows 25 per endpoint)."`
}

func (s *StripeFlags) validate() error {
	switch {
	case s.SecretKey == "":
		return fmt.Errorf("STRIPE_SECRET_KEY is not set: give the Stripe API key (sk_... or rk_...)")
	case !strings.HasPrefix(s.SecretKey, "sk_") && !strings.HasPrefix(s.SecretKey, "rk_"):
		return fmt.Errorf("STRIPE_SECRET_KEY does not look like a Stripe secret key (sk_... or rk_...)")
	case s.RateLimit <= 0 || s.RateLimit > 100:
		return fmt.Errorf("RECOUP_STRIPE_RATE_LIMIT must be between 0 and 100 requests per second, got %g", s.RateLimit)
	}
	if s.APIBase != "" && !strings.HasPrefix(s.APIBase, "http://") && !strings.HasPrefix(s.APIBase, "https://") {
		return fmt.Errorf("STRIPE_API_BASE must be an http(s) URL, got %q", s.APIBase)
	}
	return nil
}

// ServeCmd runs the service.
type ServeCmd struct {
	StripeFlags
	CommsFlags
	LLMFlags
	RetentionFlags
	// WebhookSecret is the signing secret of the Stripe webhook endpoint (whsec_...); several,
	// comma-separated, while a rolled secret is still valid.
	WebhookSecret    string        `kong:"-" secret:"STRIPE_WEBHOOK_SECRET"`
	OldWebhookSecret string        `name:"stripe-webhook-secret" hidden:"" removed:"STRIPE_WEBHOOK_SECRET"`
	Listen           string        `name:"listen" env:"RECOUP_LISTEN" default:"127.0.0.1:8080" help:"Address to listen on."`
	PolicyFile       string        `name:"policy" env:"RECOUP_POLICY" type:"path" help:"Policy file (YAML); the built-in default policy when empty."`
	PolicyPoll       time.Duration `name:"policy-poll" env:"RECOUP_POLICY_POLL" default:"10s" help:"How often to check the policy file for changes and reload it; a change is put in force once two checks in a row read it (0: only on SIGHUP)."`
	// AdminToken is the bearer token of the JSON API (/api/v1); the API refuses every request
	// when it is empty (unless users have their own tokens).
	AdminToken     string        `kong:"-" secret:"RECOUP_ADMIN_TOKEN"`
	OldAdminToken  string        `name:"admin-token" hidden:"" removed:"RECOUP_ADMIN_TOKEN"`
	ReconcileEvery time.Duration `name:"reconcile-every" env:"RECOUP_RECONCILE_EVERY" default:"15m" help:"How often to read Stripe's event list for webhooks that never arrived (0 disables)."`
	Workers        int           `name:"workers" env:"RECOUP_WORKERS" default:"4" help:"Concurrent jobs in this process."`

	// MetricsToken is the bearer token GET /metrics asks for.
	MetricsToken  string `kong:"-" secret:"RECOUP_METRICS_TOKEN"`
	MetricsListen string `name:"metrics-listen" env:"RECOUP_METRICS_LISTEN" help:"Serve GET /metrics on this separate address (e.g. 127.0.0.1:9090) instead of the public listener. Without it and without RECOUP_METRICS_TOKEN, /metrics is not served."`

	SecureCookies    string        `name:"secure-cookies" env:"RECOUP_SECURE_COOKIES" enum:"auto,on,off" default:"auto" help:"Mark the dashboard's cookies Secure (with the __Host- prefix) and send HSTS: on, off, or auto (Secure when RECOUP_PUBLIC_URL is https or recoup listens on a non-loopback address; HSTS when RECOUP_PUBLIC_URL is https)."`
	TrustedProxies   string        `name:"trusted-proxies" env:"RECOUP_TRUSTED_PROXIES" help:"Addresses or CIDR prefixes of the reverse proxies in front of recoup, comma-separated: only from them is X-Forwarded-For believed (the login limits and the customer link pages count the client it names)."`
	LoginConcurrency int           `name:"login-concurrency" env:"RECOUP_LOGIN_CONCURRENCY" default:"4" help:"Most dashboard password checks running at once (each holds 19 MiB); a login finding none free for 2 seconds is answered 503."`
	Locale           string        `name:"locale" env:"RECOUP_LOCALE" default:"en-US" help:"How the dashboard writes amounts and numbers: a BCP 47 language tag such as en-US, en-GB, de-DE or fr-CH."`
	SessionIdle      time.Duration `name:"session-idle-timeout" env:"RECOUP_SESSION_IDLE_TIMEOUT" default:"1h" help:"A dashboard session not used for this long ends (a session lasts 12 hours at most)."`

	// jobTimeout and rescueAfter replace the job queue's defaults (a minute, two minutes);
	// only tests set them, to see a killed process's jobs rescued in seconds. They are not
	// flags: the defaults are what every handler is written for.
	jobTimeout, rescueAfter time.Duration
}

func (c *ServeCmd) validate() (*policy.Policy, error) {
	if err := c.StripeFlags.validate(); err != nil {
		return nil, err
	}
	if c.WebhookSecret == "" {
		return nil, fmt.Errorf("STRIPE_WEBHOOK_SECRET is not set: give the webhook endpoint's signing secret (whsec_...)")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return nil, fmt.Errorf("RECOUP_LISTEN %q is not a host:port address: %v", c.Listen, err)
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return nil, fmt.Errorf("RECOUP_ADMIN_TOKEN is too short: use at least 16 random characters")
	}
	if c.ReconcileEvery < 0 || (c.ReconcileEvery > 0 && c.ReconcileEvery < time.Minute) {
		return nil, fmt.Errorf("RECOUP_RECONCILE_EVERY must be 0 (off) or at least 1m, got %s", c.ReconcileEvery)
	}
	if c.PolicyPoll < 0 || (c.PolicyPoll > 0 && c.PolicyPoll < time.Second) {
		return nil, fmt.Errorf("RECOUP_POLICY_POLL must be 0 (SIGHUP only) or at least 1s, got %s", c.PolicyPoll)
	}
	if c.Workers < 1 || c.Workers > 100 {
		return nil, fmt.Errorf("RECOUP_WORKERS must be 1-100, got %d", c.Workers)
	}
	if err := c.RetentionFlags.validate(); err != nil {
		return nil, err
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			return nil, fmt.Errorf("RECOUP_METRICS_LISTEN %q is not a host:port address: %v", c.MetricsListen, err)
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return nil, fmt.Errorf("RECOUP_METRICS_TOKEN is too short: use at least 16 random characters")
	}
	if _, err := clientip.Parse(c.TrustedProxies); err != nil {
		return nil, fmt.Errorf("RECOUP_TRUSTED_PROXIES: %w", err)
	}
	if c.SessionIdle < time.Minute || c.SessionIdle > 12*time.Hour {
		return nil, fmt.Errorf("RECOUP_SESSION_IDLE_TIMEOUT must be from 1m to 12h, got %s", c.SessionIdle)
	}
	if _, err := language.Parse(c.Locale); err != nil || c.Locale == "" {
		return nil, fmt.Errorf("RECOUP_LOCALE must be a language tag such as en-US or de-DE, got %q", c.Locale)
	}
	if c.LoginConcurrency < 1 || c.LoginConcurrency > 64 {
		return nil, fmt.Errorf("RECOUP_LOGIN_CONCURRENCY must be 1-64, got %d", c.LoginConcurrency)
	}
	if err := c.CommsFlags.validate(); err != nil {
		return nil, err
	}
	if err := c.LLMFlags.validate(); err != nil {
		return nil, err
	}
	return loadPolicy(c.PolicyFile, c.Templates)
}

// secureCookies reports whether the dashboard's cookies are Secure, and hsts whether responses
// carry Strict-Transport-Security: the browser reaches recoup over https, which an https
// public URL says even when recoup listens on loopback behind a TLS-terminating proxy.
func (c *ServeCmd) secureCookies() (secure, hsts bool) {
	https := strings.HasPrefix(c.PublicURL, "https://")
	switch c.SecureCookies {
	case "on":
		return true, true
	case "off":
		return false, false
	}
	return https || !loopback(c.Listen), https
}

func (c *ServeCmd) webhookSecrets() []string {
	var out []string
	for _, s := range strings.Split(c.WebhookSecret, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// loadPolicy loads the policy file at path ("" for the built-in policy), whose campaign may
// name the templates of the override directory templatesDir ("" for none).
func loadPolicy(path, templatesDir string) (*policy.Policy, error) {
	if path == "" {
		return policy.Default(), nil
	}
	opts, err := policyOptions(templatesDir)
	if err != nil {
		return nil, err
	}
	p, err := policy.LoadWith(path, opts)
	if err != nil {
		return nil, fmt.Errorf("RECOUP_POLICY: %w", err)
	}
	return p, nil
}

// policyOptions are what a policy file is checked against: the template names of the built-in
// templates and of the override directory templatesDir ("" for none).
func policyOptions(templatesDir string) (policy.Options, error) {
	if templatesDir == "" {
		// The shipped templates only: the check's error then says how to add one's own.
		return policy.Options{}, nil
	}
	names, err := templates.CampaignNames(templatesDir)
	if err != nil {
		return policy.Options{}, fmt.Errorf("RECOUP_TEMPLATES: %w", err)
	}
	return policy.Options{Templates: names}, nil
}
