package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

const (
	e2eSecret = "whsec_e2e_test_secret"
	e2eToken  = "e2e-admin-token-0123456789"
	e2ePolicy = `
timezone: UTC
retry:
  schedule_days: [0, 3, 7]
  hour: 10
  max_attempts: 3
  min_gap: 1h
customer_wait: 5d
final_action: cancel_subscription
`
)

// shiftClock is the wall clock plus an offset the test moves forward: River's scheduler and
// rescuer run on real timers, so time must also pass for real (see jobs/doc.go).
type shiftClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *shiftClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// advanceTo moves the clock to t (if it is ahead).
func (c *shiftClock) advanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := time.Until(t) - c.offset; d > 0 {
		c.offset += d
	}
}

// process is one running recoup serve.
type process struct {
	t      *testing.T
	app    *app
	url    string
	events <-chan jobs.Event
	stop   func()
}

// world is a fake Stripe, a shared clock and the recoup processes that serve it.
type world struct {
	t          *testing.T
	clock      *shiftClock
	fake       *stripefake.Server
	policyYAML string    // e2ePolicy unless a test sets another
	logs       io.Writer // the processes' logs; nil discards them
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, clock: &shiftClock{}, policyYAML: e2ePolicy}
	w.fake = stripefake.New(stripefake.Options{Now: w.clock.Now}).Start()
	t.Cleanup(w.fake.Close)
	return w
}

// start runs a recoup process on dbURL, its webhook endpoint registered with the fake. mods
// may adjust its configuration.
func (w *world) start(dbURL string, mods ...func(*ServeCmd)) *process {
	t := w.t
	t.Helper()
	cmd := ServeCmd{
		StripeFlags:   StripeFlags{SecretKey: "sk_test_e2e", APIBase: w.fake.URL(), RateLimit: 100},
		WebhookSecret: e2eSecret, Listen: "127.0.0.1:0", AdminToken: e2eToken, Workers: 4,
	}
	for _, mod := range mods {
		mod(&cmd)
	}
	pol, err := policy.Parse("e2e.yaml", []byte(w.policyYAML))
	if err != nil {
		t.Fatal(err)
	}
	logs := w.logs
	if logs == nil {
		logs = io.Discard
	}
	log := slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := cmd.newApp(ctx, dbURL, pol, w.clock, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	events, unsubscribe := a.backend.queue.Subscribe()
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln) }()
	p := &process{t: t, app: a, url: "http://" + ln.Addr().String(), events: events}
	var once sync.Once
	p.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			unsubscribe()
			a.close()
		})
	}
	t.Cleanup(p.stop)
	w.fake.SetWebhook(p.url+"/webhooks/stripe", e2eSecret)
	return p
}

// waitFor waits until cond holds, looking again at each of p's job completions and, for what
// another process's jobs (or a request) bring about, every quarter second.
func (p *process) waitFor(what string, cond func() bool, state ...func() string) {
	p.t.Helper()
	deadline := time.After(45 * time.Second)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case ev := <-p.events:
			if ev.Outcome != jobs.Completed {
				p.t.Logf("job %s %s: %s", ev.Job.Kind, ev.Outcome, ev.Err)
			}
		case <-tick.C:
		case <-deadline:
			for _, s := range state {
				what += ": " + s()
			}
			p.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// api GETs an /api/v1 path with the admin token and decodes the JSON answer.
func (p *process) api(path string, out any) int {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+e2eToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			p.t.Fatal(err)
		}
	}
	return resp.StatusCode
}

type caseView struct {
	Case     recoup.Case            `json:"case"`
	Timeline []recoup.TimelineEntry `json:"timeline"`
	Attempts []recoup.Attempt       `json:"attempts"`
}

// caseOf finds the invoice's case through the API; ok is false if there is none.
func (p *process) caseOf(invoiceID string) (caseView, bool) {
	p.t.Helper()
	var page struct {
		Cases []recoup.Case `json:"cases"`
	}
	if code := p.api("/api/v1/cases?limit=500", &page); code != 200 {
		p.t.Fatalf("list cases: %d", code)
	}
	for _, c := range page.Cases {
		if c.InvoiceID == invoiceID {
			var v caseView
			if code := p.api(fmt.Sprintf("/api/v1/cases/%d", c.ID), &v); code != 200 {
				p.t.Fatalf("get case: %d", code)
			}
			return v, true
		}
	}
	return caseView{}, false
}

func (p *process) waitState(invoiceID string, want recoup.CaseState) caseView {
	p.t.Helper()
	var (
		v  caseView
		ok bool
	)
	p.waitFor(fmt.Sprintf("case of %s to be %s", invoiceID, want), func() bool {
		v, ok = p.caseOf(invoiceID)
		return ok && v.Case.State == want
	}, func() string {
		if !ok {
			return "no case"
		}
		return fmt.Sprintf("case is %s; timeline:\n%s", v.Case.State, timelineText(v.Timeline))
	})
	return v
}

// waitSent waits until the case has n messages recorded and none of them is still pending (the
// channel's answer recorded), and returns them. An email reaches the mailbox before its sender
// records the answer, so a test that checks the record waits on the record, not on the mailbox.
func (p *process) waitSent(caseID int64, n int) []recoup.Message {
	p.t.Helper()
	var (
		ms  []recoup.Message
		err error
	)
	p.waitFor(fmt.Sprintf("%d messages of case %d with the channel's answer recorded", n, caseID), func() bool {
		ms, err = p.app.backend.store.Messages(p.t.Context(), caseID)
		return err == nil && len(ms) == n && !slices.ContainsFunc(ms, func(m recoup.Message) bool { return m.Status == recoup.MessagePending })
	}, func() string { return fmt.Sprintf("messages %+v, error %v", ms, err) })
	return ms
}

func sqliteURL(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "recoup.db") }

func TestE2EScheduledRetriesRecover(t *testing.T) {
	w := newWorld(t)
	p := w.start(sqliteURL(t))
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "ada@example.com", AmountDue: 1999, Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	w.fake.ScriptPay(r.InvoiceID, stripefake.Declined(stripefake.CardDeclined("insufficient_funds")), stripefake.Succeed())

	v := p.waitState(r.InvoiceID, recoup.StateScheduled)
	if v.Case.Category != recoup.CategoryFunds || v.Case.Amount.Amount != 1999 || v.Case.CustomerID != r.CustomerID {
		t.Fatalf("case %+v", v.Case)
	}
	w.clock.advanceTo(v.Case.NextAction.At)
	v = p.waitState(r.InvoiceID, recoup.StateScheduled)
	p.waitFor("first charge declined", func() bool {
		v, _ = p.caseOf(r.InvoiceID)
		return v.Case.Attempts == 1 && v.Case.State == recoup.StateScheduled
	})
	w.clock.advanceTo(v.Case.NextAction.At)
	v = p.waitState(r.InvoiceID, recoup.StateRecovered)

	if v.Case.RecoveredBy != recoup.ByRecoupRetry || w.fake.SucceededCharges(r.InvoiceID) != 1 {
		t.Fatalf("recovered by %s, %d charges", v.Case.RecoveredBy, w.fake.SucceededCharges(r.InvoiceID))
	}
	var recoupAttempts []recoup.Attempt
	for _, a := range v.Attempts {
		if a.Source == recoup.SourceRecoup {
			recoupAttempts = append(recoupAttempts, a)
		}
	}
	if len(recoupAttempts) != 2 || recoupAttempts[0].Decline == nil || recoupAttempts[0].Decline.DeclineCode != "insufficient_funds" || recoupAttempts[1].Status != recoup.AttemptSucceeded {
		t.Fatalf("attempts %+v", v.Attempts)
	}
	var decisions int
	for _, e := range v.Timeline {
		if e.Kind == recoup.EntryDecision {
			decisions++
		}
	}
	if decisions != 2 {
		t.Fatalf("%d decisions on the timeline, want 2", decisions)
	}
	for _, a := range recoupAttempts {
		if n := w.fake.PayCalls(a.IdempotencyKey); n != 1 {
			t.Fatalf("key %s used %d times", a.IdempotencyKey, n)
		}
	}
}

func TestE2EHardDeclineRunsFinalAction(t *testing.T) {
	w := newWorld(t)
	p := w.start(sqliteURL(t))
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("stolen_card")})
	if err != nil {
		t.Fatal(err)
	}
	v := p.waitState(r.InvoiceID, recoup.StateAwaitingCustomer)
	if v.Case.Category != recoup.CategoryHard || v.Case.NextAction.Kind != recoup.ActionFinal {
		t.Fatalf("case %+v", v.Case)
	}
	w.clock.advanceTo(v.Case.NextAction.At)
	v = p.waitState(r.InvoiceID, recoup.StateExhausted)
	if v.Case.FinalAction != recoup.FinalCancelSubscription || w.fake.SubscriptionStatus(r.SubscriptionID) != "canceled" {
		t.Fatalf("final action %q, subscription %s", v.Case.FinalAction, w.fake.SubscriptionStatus(r.SubscriptionID))
	}
	for _, req := range w.fake.Requests() {
		if strings.HasSuffix(req.Path, "/pay") {
			t.Fatalf("a stolen card was charged: %+v", req)
		}
	}
}

func TestE2EWebhooksDuplicateOutOfOrderAndForged(t *testing.T) {
	w := newWorld(t)
	p := w.start(sqliteURL(t))
	w.fake.SetAutoDeliver(false)

	// Paid before failed: the re-read shows the invoice paid, so no case is opened.
	paid, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.fake.PayByCustomer(paid.InvoiceID, paid.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	failedEv := w.fake.EventsOfType("invoice.payment_failed")[0]
	paidEv := w.fake.EventsOfType("invoice.paid")[0]
	for _, id := range []string{paidEv.ID, failedEv.ID, failedEv.ID} {
		if code, err := w.fake.Deliver(id); err != nil || code != 200 {
			t.Fatalf("deliver %s: %d %v", id, code, err)
		}
	}
	// A failure delivered three times opens one case.
	open, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("do_not_honor")})
	if err != nil {
		t.Fatal(err)
	}
	evs := w.fake.EventsOfType("invoice.payment_failed")
	last := evs[len(evs)-1].ID
	for range 3 {
		if code, err := w.fake.Deliver(last); err != nil || code != 200 {
			t.Fatalf("deliver: %d %v", code, err)
		}
	}
	p.waitState(open.InvoiceID, recoup.StateScheduled)
	p.waitFor("the paid invoice's events to be processed", func() bool {
		ev, err := p.app.backend.store.Event(context.Background(), failedEv.ID)
		return err == nil && ev.Status != recoup.EventPending
	})
	if _, ok := p.caseOf(paid.InvoiceID); ok {
		t.Fatal("a case was opened for an invoice already paid")
	}
	var page struct{ Cases []recoup.Case }
	p.api("/api/v1/cases", &page)
	if len(page.Cases) != 1 {
		t.Fatalf("%d cases, want 1", len(page.Cases))
	}

	// Forged and stale signatures are refused and store nothing.
	body := []byte(`{"id":"evt_forged","object":"event","type":"invoice.payment_failed","created":1,"data":{"object":{"id":"in_x","object":"invoice"}}}`)
	for name, sig := range map[string]string{
		"wrong secret": stripefake.SignatureHeader(body, time.Now(), "whsec_attacker"),
		"stale":        stripefake.SignatureHeader(body, time.Now().Add(-10*time.Minute), e2eSecret),
		"missing":      "",
	} {
		req, _ := http.NewRequest("POST", p.url+"/webhooks/stripe", strings.NewReader(string(body)))
		if sig != "" {
			req.Header.Set("Stripe-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s signature: status %d, want 400", name, resp.StatusCode)
		}
	}
	if _, err := p.app.backend.store.Event(context.Background(), "evt_forged"); !recoup.IsNotFound(err) {
		t.Fatalf("a forged event was stored: %v", err)
	}
	// The API refuses requests without the token.
	resp, err := http.Get(p.url + "/api/v1/cases")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("API without token: %d", resp.StatusCode)
	}
}

func TestE2EReconcileCatchesLostWebhooks(t *testing.T) {
	w := newWorld(t)
	w.fake.SetAutoDeliver(false) // every webhook is lost
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	p := w.start(sqliteURL(t))
	if err := p.app.engine.Reconcile(context.Background(), w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	v := p.waitState(r.InvoiceID, recoup.StateScheduled)
	if v.Timeline[0].Kind != recoup.EntryEvent {
		t.Fatalf("timeline %+v", v.Timeline)
	}
}

func timelineText(tl []recoup.TimelineEntry) string {
	var b strings.Builder
	for _, e := range tl {
		fmt.Fprintf(&b, "  %s %-8s %s\n", e.At.Format(time.DateTime), e.Kind, e.Summary)
	}
	return b.String()
}
