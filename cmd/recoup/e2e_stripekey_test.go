package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// lockedBuffer collects a process's log lines from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// get GETs path from p with c (nil: no credentials) and returns the status and the body.
func (p *process) get(c *http.Client, path string) (int, string) {
	p.t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Get(p.url + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// adminClient returns an HTTP client signed in to p's dashboard as an administrator.
func (p *process) adminClient(now time.Time) *http.Client {
	p.t.Helper()
	as := p.app.backend.store.(recoup.AccessStore)
	ctx := context.Background()
	u := recoup.User{Email: "admin@example.com", Role: recoup.RoleAdmin, PasswordHash: "unused", CreatedAt: now}
	if err := as.CreateUser(ctx, &u); err != nil {
		p.t.Fatal(err)
	}
	secret, err := dashboard.NewSecret(32)
	if err != nil {
		p.t.Fatal(err)
	}
	err = as.CreateSession(ctx, recoup.Session{IDHash: dashboard.HashSecret(secret), UserID: u.ID, CSRFToken: "t",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		p.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(p.url)
	jar.SetCookies(base, []*http.Cookie{{Name: "recoup_session", Value: secret, Path: "/"}})
	return &http.Client{Jar: jar}
}

// A key Stripe refuses is loud: an ERROR at start naming the problem, not ready, a metric,
// the operations page in words; webhooks are still stored and their jobs wait; once Stripe
// accepts the key again the service is ready and the waiting work is done.
func TestE2EStripeRefusesTheKey(t *testing.T) {
	w := newWorld(t)
	logs := &lockedBuffer{}
	w.logs = logs
	w.fake.RefuseKey(true)
	p := w.start(sqliteURL(t), func(c *ServeCmd) { c.MetricsToken = e2eMetricsToken })
	scraper := &http.Client{Transport: bearer(e2eMetricsToken)}
	admin := p.adminClient(w.clock.Now())

	// serve checks the key before it starts its jobs and says it is serving: wait for that.
	p.waitFor("serve to start", func() bool { return strings.Contains(logs.String(), "recoup serving") })
	out := logs.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "Stripe refuses the API key") ||
		!strings.Contains(out, "Invalid API Key provided: sk_test_…") {
		t.Errorf("the log at start does not say at ERROR that Stripe refuses the key:\n%s", out)
	}
	status, body := p.get(nil, "/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "Stripe refuses the API key") {
		t.Errorf("/readyz = %d %q, want 503 saying Stripe refuses the key", status, body)
	}
	_, metrics := p.get(scraper, "/metrics")
	for _, want := range []string{"recoup_stripe_key_refused 1", `recoup_stripe_errors_total{kind="authentication"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if _, page := p.get(admin, "/ui/operations"); !strings.Contains(page, "Stripe refuses the API key since") {
		t.Errorf("the operations page does not say Stripe refuses the key:\n%s", page)
	}

	// Intake goes on: the webhook is stored, and its job waits instead of failing for good.
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "refused@example.com", AmountDue: 2000,
		Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	waitOutcome(t, p, jobs.Snoozed)
	if _, ok := p.caseOf(r.InvoiceID); ok {
		t.Fatal("a case opened while Stripe refuses the key")
	}

	// Stripe accepts the key again: the next check (serve's, every minute while refused; run
	// here at once) makes the service ready, and the waiting job opens the case when it
	// wakes.
	w.fake.RefuseKey(false)
	p.app.checkStripeKey(context.Background())
	if status, body := p.get(nil, "/readyz"); status != http.StatusOK {
		t.Errorf("/readyz after the key is accepted = %d %q, want 200", status, body)
	}
	if _, metrics := p.get(scraper, "/metrics"); !strings.Contains(metrics, "recoup_stripe_key_refused 0") {
		t.Error("/metrics still says the key is refused")
	}
	if _, page := p.get(admin, "/ui/operations"); !strings.Contains(page, "Stripe accepts the API key") {
		t.Errorf("the operations page does not say Stripe accepts the key:\n%s", page)
	}
	w.clock.advanceTo(w.clock.Now().Add(jobs.CredentialsRetryAfter))
	p.waitState(r.InvoiceID, recoup.StateScheduled)
	if strings.Contains(logs.String(), "sk_test_e2e") {
		t.Error("the log shows the API key")
	}
}

// waitOutcome waits for a job of p's to end an attempt with outcome.
func waitOutcome(t *testing.T, p *process, outcome jobs.Outcome) jobs.Event {
	t.Helper()
	deadline := time.After(45 * time.Second)
	for {
		select {
		case ev := <-p.events:
			if ev.Outcome == outcome {
				return ev
			}
		case <-deadline:
			t.Fatalf("no job %s", outcome)
		}
	}
}
