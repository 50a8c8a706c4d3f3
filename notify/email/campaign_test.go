package email_test

// A full campaign driven through the engine, on a real SQLite store, with the real templates,
// signed links and this package's Sender, delivered to a real SMTP server in the test process:
// the messages are read back from the server and their links opened on the web server.

import (
	"context"
	"database/sql"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/internal/pgtest"
	"github.com/recoup-hq/recoup/notify"
	"github.com/recoup-hq/recoup/notify/email"
	"github.com/recoup-hq/recoup/notify/templates"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/postgres"
	"github.com/recoup-hq/recoup/sqlite"
	"github.com/recoup-hq/recoup/updatelink"
	"github.com/recoup-hq/recoup/web"
)

const campaignPolicy = `
timezone: UTC
retry:
  schedule_days: [0, 3, 7, 15]
  hour: 10
  max_attempts: 4
  min_gap: 1h
  error_delay: 15m
  error_limit: 2
customer_wait: 25d
final_action: leave_past_due
campaign:
  hour: 10
  steps:
    - {day: 0, template: update_card, tone: helpful}
    - {day: 3, template: payment_failed, tone: gentle}
    - {day: 7, template: update_card, tone: helpful}
    - {day: 14, template: suspension_notice, tone: urgent}
    - {day: 21, template: final_notice, tone: final}
`

const base = "https://pay.acme.example"

var start = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// world runs engines on one SQLite file with a virtual clock and an in-test job list.
type world struct {
	t       *testing.T
	ctx     context.Context
	mu      sync.Mutex
	now     time.Time
	jobs    []recoup.Job
	path    string
	pol     *policy.Policy
	gw      *gateway
	mb      *mailbox
	signer  *updatelink.Signer
	links   *updatelink.Links
	engines []*engine.Engine
	turn    int
	store   recoup.Store // the first engine's
	portal  *portal
	web     *web.Server
}

func newWorld(t *testing.T, engines int) *world { return newWorldOn(t, "sqlite", engines) }

// newWorldOn is newWorld on a backend: "sqlite" (a file) or "postgres" (a fresh schema in the
// database of RECOUP_TEST_DATABASE_URL).
func newWorldOn(t *testing.T, backend string, engines int) *world {
	t.Helper()
	w := &world{t: t, ctx: t.Context(), now: start, path: filepath.Join(t.TempDir(), "recoup.db"), gw: &gateway{invoices: map[string]recoup.Invoice{}}, mb: newMailbox(t), portal: &portal{}}
	var err error
	if w.pol, err = policy.Parse("test.yaml", []byte(campaignPolicy)); err != nil {
		t.Fatal(err)
	}
	if w.signer, err = updatelink.NewSigner([]byte("link-signing-secret-for-the-tests-0123")); err != nil {
		t.Fatal(err)
	}
	if w.links, err = updatelink.NewLinks(base, w.signer, 0, 0); err != nil {
		t.Fatal(err)
	}
	brand := templates.Branding{Company: "Acme", Support: "help@acme.example", From: "Acme Billing <billing@acme.example>"}
	set, err := templates.Load("", brand)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(w.mb.addr)
	p, _ := strconv.Atoi(port)
	enqueue := func(jobs []recoup.Job) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.jobs = append(w.jobs, jobs...)
	}
	var dsn string
	if backend == "postgres" {
		dsn = pgtest.DSN(t)
	}
	for i := range engines {
		var store recoup.Store
		switch backend {
		case "sqlite":
			db, err := sqlite.Open(w.ctx, w.path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if i == 0 {
				if err := db.Migrate(w.ctx); err != nil {
					t.Fatal(err)
				}
			}
			store = sqlite.NewStore(db, func(_ context.Context, _ *sql.Tx, jobs []recoup.Job) error { enqueue(jobs); return nil })
		case "postgres":
			db, err := postgres.Open(w.ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if i == 0 {
				if err := db.Migrate(w.ctx); err != nil {
					t.Fatal(err)
				}
			}
			store = postgres.NewStore(db, func(_ context.Context, _ pgx.Tx, jobs []recoup.Job) error { enqueue(jobs); return nil })
		}
		sender, err := email.New(email.Config{Host: host, Port: p, Insecure: true, From: brand.From, ReplyTo: brand.Support,
			Timeout: 5 * time.Second, Now: w.clock,
			Unsubscribe: func(m recoup.Message) (string, error) { return w.links.UnsubscribeURL(m.CaseID, w.clock()) }})
		if err != nil {
			t.Fatal(err)
		}
		w.engines = append(w.engines, engine.New(engine.Config{Store: store, Gateway: w.gw, Policy: w.pol,
			Notifier: notify.NewRouter(map[string]recoup.Notifier{"email": sender}),
			Renderer: &templates.Campaign{Set: set, Links: w.links}}))
		if i == 0 {
			w.store = store
		}
	}
	w.web = web.New(web.Config{Store: w.store, Intake: w.engines[0], Verifier: refuseAll{}, Now: w.clock,
		Links: &web.LinksConfig{Signer: w.signer, Portal: w.portal, BaseURL: base, Company: "Acme"}})
	return w
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

// fail opens a case: the invoice's card expired, so only the customer can fix it.
func (w *world) fail(invoice, customer, to string) {
	w.t.Helper()
	w.gw.mu.Lock()
	w.gw.invoices[invoice] = recoup.Invoice{ID: invoice, CustomerID: customer, SubscriptionID: "sub_" + invoice, CustomerEmail: to,
		Status: recoup.InvoiceOpen, AmountDue: 2500, AmountRemaining: 2500, Currency: "usd", AttemptCount: 1, Attempted: true,
		CollectionMethod: "charge_automatically", Created: w.now,
		LastPayment: &recoup.Payment{PaymentMethodID: "pm_old", Status: "requires_payment_method", Decline: &recoup.Decline{Code: "expired_card"}, At: w.now}}
	w.gw.mu.Unlock()
	ev := &recoup.Event{ID: "evt_" + invoice, Type: "invoice.payment_failed", ObjectID: invoice, CustomerID: customer, Created: w.now,
		Origin: recoup.OriginWebhook, Payload: []byte(`{}`)}
	if _, err := w.engines[0].Ingest(w.ctx, w.now, ev); err != nil {
		w.t.Fatal(err)
	}
}

// advance runs the jobs in time order until d has passed. Every engine runs every message job,
// at the same time, which River never does (a job has one worker at a time): the store alone
// must keep a step from going out twice. Other jobs run on one engine, in turn.
func (w *world) advance(d time.Duration) {
	w.t.Helper()
	end := w.clock().Add(d)
	for {
		w.mu.Lock()
		slices.SortStableFunc(w.jobs, func(a, b recoup.Job) int { return a.RunAt.Compare(b.RunAt) })
		if len(w.jobs) == 0 || w.jobs[0].RunAt.After(end) {
			w.now = end
			w.mu.Unlock()
			return
		}
		j := w.jobs[0]
		w.jobs = w.jobs[1:]
		if j.RunAt.After(w.now) {
			w.now = j.RunAt
		}
		now := w.now
		w.mu.Unlock()
		engines := w.engines
		if j.Kind != recoup.JobMessage {
			w.turn++
			engines = engines[w.turn%len(engines) : w.turn%len(engines)+1]
		}
		var wg sync.WaitGroup
		errs := make([]error, len(engines))
		for i, e := range engines {
			wg.Go(func() { errs[i] = run(w.ctx, e, now, j) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				w.t.Fatalf("job %+v: %v", j, err)
			}
		}
	}
}

func run(ctx context.Context, e *engine.Engine, now time.Time, j recoup.Job) error {
	switch j.Kind {
	case recoup.JobProcessEvent:
		return e.ProcessEvent(ctx, now, j.EventID)
	case recoup.JobAct:
		return e.Act(ctx, now, j.CaseID, j.Seq)
	case recoup.JobMessage:
		return e.Message(ctx, now, j.CaseID, j.Seq)
	}
	return nil
}

func (w *world) caseOf(invoice string) recoup.Case {
	w.t.Helper()
	page, err := w.store.Cases(w.ctx, recoup.CaseFilter{})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, c := range page.Cases {
		if c.InvoiceID == invoice {
			return c
		}
	}
	w.t.Fatalf("no case for %s", invoice)
	return recoup.Case{}
}

func (w *world) get(method, rawURL string) *httptest.ResponseRecorder {
	w.t.Helper()
	path, ok := strings.CutPrefix(rawURL, base)
	if !ok {
		w.t.Fatalf("link %q is not under %s", rawURL, base)
	}
	r := httptest.NewRequest(method, path, strings.NewReader("List-Unsubscribe=One-Click"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	w.web.Handler().ServeHTTP(rec, r)
	return rec
}

func (w *world) timeline(c recoup.Case) string {
	w.t.Helper()
	tl, err := w.store.Timeline(w.ctx, c.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	var s []string
	for _, e := range tl {
		s = append(s, e.Summary)
	}
	return strings.Join(s, "\n")
}

var updateLink = regexp.MustCompile(regexp.QuoteMeta(base) + `/u/[A-Za-z0-9_-]+`)

func TestFullCampaignOverSMTP(t *testing.T) {
	w := newWorld(t, 1)
	w.fail("in_1", "cus_1", "ada@example.com")
	w.advance(24 * 24 * time.Hour)

	got := w.mb.messages()
	want := []struct{ subject, says string }{
		{"Please update your payment method for Acme", "The quickest way to sort this out"},
		{"Your payment to Acme didn't go through", "This happens from time to time"},
		{"Please update your payment method for Acme", "The quickest way to sort this out"},
		{"Action needed: your Acme subscription", "If the payment is not made by Friday, March 27, 2026"},
		{"Final notice: your Acme subscription", "This is our last reminder"},
	}
	if len(got) != len(want) {
		t.Fatalf("the server received %d messages, want %d", len(got), len(want))
	}
	c := w.caseOf("in_1")
	for i, r := range got {
		p := parse(t, r.raw)
		if r.to[0] != "ada@example.com" || p.subject != want[i].subject || !strings.Contains(p.text, want[i].says) {
			t.Errorf("message %d: to %v, subject %q, text:\n%s", i, r.to, p.subject, p.text)
		}
		if id := p.header.Get("Message-Id"); id != "<recoup-case-"+strconv.FormatInt(c.ID, 10)+"-in_1-message-"+strconv.Itoa(i)+"@acme.example>" {
			t.Errorf("message %d: Message-ID %q", i, id)
		}
		if !strings.HasPrefix(p.header.Get("List-Unsubscribe"), "<"+base+"/unsubscribe/") || p.header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("message %d: List-Unsubscribe %q / %q", i, p.header.Get("List-Unsubscribe"), p.header.Get("List-Unsubscribe-Post"))
		}
		link := updateLink.FindString(p.text)
		if link == "" || !strings.Contains(p.html, `href="`+link+`"`) || !strings.Contains(p.html, "$25.00") {
			t.Errorf("message %d: the text's update link %q is not the HTML's:\n%s", i, link, p.html)
		}
	}

	// The link of the first message still works at the end: it opens Stripe's card update.
	first := updateLink.FindString(parse(t, got[0].raw).text)
	rec := w.get("GET", first)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != portalURL || len(w.portal.customers) != 1 || w.portal.customers[0] != "cus_1" {
		t.Fatalf("update link: %d %q, portal asked for %v", rec.Code, rec.Header().Get("Location"), w.portal.customers)
	}
	if tl := w.timeline(c); !strings.Contains(tl, "the customer opened the card update link") || strings.Count(tl, "sent by email") != 5 {
		t.Errorf("timeline:\n%s", tl)
	}
	ms, err := w.store.Messages(w.ctx, c.ID)
	if err != nil || len(ms) != 5 || ms[0].HTML == "" || ms[4].Status != recoup.MessageSent {
		t.Errorf("stored messages %d %v", len(ms), err)
	}

	// Paid: the same link now says so, and sends nobody to Stripe.
	w.gw.pay("in_1")
	if _, err := w.engines[0].Observe(w.ctx, w.clock(), engine.Observation{Invoice: w.gw.invoice("in_1"), Source: engine.Source{EventType: "test"}}); err != nil {
		t.Fatal(err)
	}
	if rec := w.get("GET", first); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "This invoice is paid") {
		t.Errorf("replayed link after payment: %d %s", rec.Code, rec.Body.String())
	}
}

func TestUnsubscribeStopsLaterEmails(t *testing.T) {
	w := newWorld(t, 1)
	w.fail("in_1", "cus_1", "ada@example.com")
	w.advance(time.Hour)
	got := w.mb.messages()
	if len(got) != 1 {
		t.Fatalf("received %d messages after the first step", len(got))
	}
	// The mail client's one-click unsubscribe: a POST to the List-Unsubscribe URL.
	h := parse(t, got[0].raw).header.Get("List-Unsubscribe")
	unsub := strings.TrimSuffix(strings.TrimPrefix(strings.Split(h, ",")[0], "<"), ">")
	if rec := w.get("POST", unsub); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "You are unsubscribed") {
		t.Fatalf("unsubscribe: %d %s", rec.Code, rec.Body.String())
	}
	w.advance(24 * 24 * time.Hour)
	if n := len(w.mb.messages()); n != 1 {
		t.Fatalf("received %d messages after unsubscribing, want only the first", n)
	}
	c := w.caseOf("in_1")
	ms, _ := w.store.Messages(w.ctx, c.ID)
	for _, m := range ms[1:] {
		if m.Status != recoup.MessageSkipped || !strings.Contains(m.Error, "unsubscribed") {
			t.Errorf("step %d: %s %q", m.Step, m.Status, m.Error)
		}
	}
}

func TestHardBounceStopsLaterEmails(t *testing.T) {
	w := newWorld(t, 1)
	w.mb.permanent["gone@example.com"] = true
	w.fail("in_1", "cus_1", "gone@example.com")
	w.advance(24 * 24 * time.Hour)
	c := w.caseOf("in_1")
	ms, err := w.store.Messages(w.ctx, c.ID)
	if err != nil || len(ms) != 5 {
		t.Fatalf("messages %d %v", len(ms), err)
	}
	if ms[0].Status != recoup.MessageFailed || !strings.Contains(ms[0].Error, "550") {
		t.Errorf("step 0: %s %q, want failed with the 550", ms[0].Status, ms[0].Error)
	}
	for _, m := range ms[1:] {
		if m.Status != recoup.MessageSkipped || !strings.Contains(m.Error, "hard_bounce") {
			t.Errorf("step %d: %s %q, want skipped for the bounce", m.Step, m.Status, m.Error)
		}
	}
	if n := len(w.mb.messages()); n != 0 {
		t.Errorf("the server accepted %d messages for a bounced address", n)
	}
}

// Two engines on one database run every job at the same time: each step still reaches the
// customer once.
func TestNoDuplicateSendsAcrossTwoEngines(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { noDuplicateSends(t, backend) })
	}
}

func noDuplicateSends(t *testing.T, backend string) {
	w := newWorldOn(t, backend, 2)
	w.fail("in_1", "cus_1", "ada@example.com")
	w.fail("in_2", "cus_2", "grace@example.com")
	w.advance(24 * 24 * time.Hour)
	ids := map[string]int{}
	for _, r := range w.mb.messages() {
		ids[parse(t, r.raw).header.Get("Message-Id")]++
	}
	if len(ids) != 10 {
		t.Errorf("%d distinct messages, want 5 steps x 2 cases: %v", len(ids), ids)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
}

// gateway is Stripe as the engine sees it: invoices that stay open until paid.
type gateway struct {
	mu       sync.Mutex
	invoices map[string]recoup.Invoice
}

func (g *gateway) invoice(id string) recoup.Invoice {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.invoices[id]
}

func (g *gateway) pay(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv := g.invoices[id]
	inv.Status, inv.AmountPaid, inv.AmountRemaining = recoup.InvoicePaid, inv.AmountDue, 0
	inv.LastPayment = &recoup.Payment{PaymentMethodID: "pm_new", Status: "succeeded"}
	g.invoices[id] = inv
}

func (g *gateway) Invoice(_ context.Context, id string) (recoup.Invoice, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv, ok := g.invoices[id]
	if !ok {
		return recoup.Invoice{}, recoup.Errorf(recoup.ENOTFOUND, "no invoice %s", id)
	}
	return inv, nil
}

func (g *gateway) Pay(_ context.Context, req recoup.PayRequest) (recoup.PayResult, error) {
	return recoup.PayResult{Decline: &recoup.Decline{Code: "expired_card"}, Invoice: g.invoice(req.InvoiceID)}, nil
}
func (g *gateway) CancelSubscription(context.Context, string, string) error { return nil }
func (g *gateway) MarkUncollectible(context.Context, string, string) error  { return nil }

const portalURL = "https://billing.stripe.com/p/session/test_abc"

type portal struct {
	mu        sync.Mutex
	customers []string
}

func (p *portal) PaymentUpdateURL(_ context.Context, customerID, _ string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.customers = append(p.customers, customerID)
	return portalURL, nil
}

func (p *portal) HostedInvoiceURL(_ context.Context, invoiceID string) (string, error) {
	return "https://invoice.stripe.com/i/" + invoiceID, nil
}

type refuseAll struct{}

func (refuseAll) Verify([]byte, string) (recoup.Event, error) {
	return recoup.Event{}, recoup.Errorf(recoup.EUNAUTHORIZED, "not in this test")
}
