package web

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
	"github.com/recoup-hq/recoup/updatelink"
)

// fakePortal answers with fixed Stripe URLs, or err.
type fakePortal struct {
	customers []string
	returns   []string
	err       error
}

func (p *fakePortal) PaymentUpdateURL(_ context.Context, customerID, returnURL string) (string, error) {
	p.customers, p.returns = append(p.customers, customerID), append(p.returns, returnURL)
	return "https://billing.stripe.com/p/session/test_123", p.err
}

func (p *fakePortal) HostedInvoiceURL(_ context.Context, invoiceID string) (string, error) {
	return "https://invoice.stripe.com/i/" + invoiceID, p.err
}

type linkEnv struct {
	srv    *Server
	store  *sqlite.Store
	portal *fakePortal
	signer *updatelink.Signer
}

func newLinkEnv(t *testing.T) *linkEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "recoup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	signer, err := updatelink.NewSigner([]byte("link-secret-for-tests-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	e := &linkEnv{store: sqlite.NewStore(db, func(context.Context, *sql.Tx, []recoup.Job) error { return nil }), portal: &fakePortal{}, signer: signer}
	e.srv = New(Config{Store: e.store, Intake: newFakeIntake(), Verifier: &hmacVerifier{secret: testSecret}, Now: func() time.Time { return testNow },
		Links: &LinksConfig{Signer: signer, Portal: e.portal, BaseURL: "https://pay.example.com", Company: "Acme", Support: "help@acme.example"}})
	return e
}

func (e *linkEnv) newCase(t *testing.T, invoice string, state recoup.CaseState, cat recoup.Category) recoup.Case {
	t.Helper()
	c := recoup.Case{InvoiceID: invoice, CustomerID: "cus_" + invoice, State: state, Category: cat,
		Amount: recoup.Money{Amount: 2500, Currency: "usd"}, CreatedAt: testNow, UpdatedAt: testNow, FirstFailedAt: testNow}
	if err := e.store.Tx(t.Context(), func(tx recoup.Tx) error { return tx.CreateCase(&c) }); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *linkEnv) token(t *testing.T, p updatelink.Purpose, caseID int64, expires time.Time) string {
	t.Helper()
	tok, err := e.signer.Issue(p, caseID, expires)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *linkEnv) do(method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	return w
}

func (e *linkEnv) timeline(t *testing.T, c recoup.Case) string {
	t.Helper()
	tl, err := e.store.Timeline(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, en := range tl {
		s = append(s, en.Summary)
	}
	return strings.Join(s, "\n")
}

// wantPage checks a customer page: its status, its wording, HTML, and nothing internal.
func wantPage(t *testing.T, w *httptest.ResponseRecorder, status int, says string) {
	t.Helper()
	body := w.Body.String()
	if w.Code != status || !strings.Contains(body, says) || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status %d (want %d), type %q, body:\n%s\nwant it to say %q", w.Code, status, w.Header().Get("Content-Type"), body, says)
	}
	for _, leak := range []string{"updatelink", "error", "goroutine", "sqlite", "cus_"} {
		if strings.Contains(strings.ToLower(body), leak) {
			t.Errorf("the page shows %q:\n%s", leak, body)
		}
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", w.Header().Get("Cache-Control"))
	}
}

func TestUpdateLinkRedirectsToThePortal(t *testing.T) {
	e := newLinkEnv(t)
	c := e.newCase(t, "in_1", recoup.StateAwaitingCustomer, recoup.CategoryCustomerFix)
	w := e.do("GET", "/u/"+e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour)), "")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "https://billing.stripe.com/p/session/test_123" {
		t.Fatalf("status %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	if len(e.portal.customers) != 1 || e.portal.customers[0] != "cus_in_1" || e.portal.returns[0] != "https://pay.example.com/u/done" {
		t.Errorf("portal asked for %v returning to %v", e.portal.customers, e.portal.returns)
	}
	if tl := e.timeline(t, c); !strings.Contains(tl, "the customer opened the card update link") {
		t.Errorf("the click is not on the timeline:\n%s", tl)
	}
	wantPage(t, e.do("GET", "/u/done", ""), http.StatusOK, "Thank you")
}

func TestUpdateLinkForAuthenticationGoesToTheInvoicePage(t *testing.T) {
	e := newLinkEnv(t)
	c := e.newCase(t, "in_3ds", recoup.StateAwaitingCustomer, recoup.CategoryAuthentication)
	w := e.do("GET", "/u/"+e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour)), "")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "https://invoice.stripe.com/i/in_3ds" {
		t.Fatalf("status %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	if len(e.portal.customers) != 0 {
		t.Error("a portal session was created for an authentication case")
	}
}

func TestUpdateLinkRefusals(t *testing.T) {
	e := newLinkEnv(t)
	open := e.newCase(t, "in_open", recoup.StateScheduled, recoup.CategoryFunds)
	paid := e.newCase(t, "in_paid", recoup.StateRecovered, recoup.CategoryFunds)
	closed := e.newCase(t, "in_closed", recoup.StateClosed, recoup.CategoryFunds)
	good := e.token(t, updatelink.Update, open.ID, testNow.Add(time.Hour))
	swap := byte('A')
	if good[10] == 'A' {
		swap = 'B'
	}
	tampered := good[:10] + string(swap) + good[11:] // the case id's bytes, re-signed by nobody
	for _, tc := range []struct {
		name   string
		path   string
		status int
		says   string
	}{
		{"tampered", "/u/" + tampered, http.StatusBadRequest, "not valid"},
		{"truncated", "/u/" + good[:20], http.StatusBadRequest, "not valid"},
		{"with CR LF inside", "/u/" + good[:20] + "%0D%0A" + good[20:], http.StatusBadRequest, "not valid"},
		{"with a line feed at the end", "/u/" + good + "%0A", http.StatusBadRequest, "not valid"},
		{"expired", "/u/" + e.token(t, updatelink.Update, open.ID, testNow), http.StatusGone, "expired"},
		{"an unsubscribe token", "/u/" + e.token(t, updatelink.Unsubscribe, open.ID, testNow.Add(time.Hour)), http.StatusBadRequest, "not valid"},
		{"a case that does not exist", "/u/" + e.token(t, updatelink.Update, 999, testNow.Add(time.Hour)), http.StatusBadRequest, "not valid"},
		{"replay: the invoice is paid", "/u/" + e.token(t, updatelink.Update, paid.ID, testNow.Add(time.Hour)), http.StatusOK, "This invoice is paid"},
		{"replay: the case is closed", "/u/" + e.token(t, updatelink.Update, closed.ID, testNow.Add(time.Hour)), http.StatusOK, "Nothing to pay"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantPage(t, e.do("GET", tc.path, ""), tc.status, tc.says)
		})
	}
	if len(e.portal.customers) != 0 {
		t.Errorf("a refused link created portal sessions for %v", e.portal.customers)
	}
	if tl := e.timeline(t, open); strings.Contains(tl, "opened") {
		t.Errorf("a refused link was recorded as a click:\n%s", tl)
	}
}

func TestUpdateLinkWhenStripeFails(t *testing.T) {
	e := newLinkEnv(t)
	e.portal.err = errors.New("stripe: 500 internal error at api.stripe.com")
	c := e.newCase(t, "in_1", recoup.StateScheduled, recoup.CategoryFunds)
	w := e.do("GET", "/u/"+e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour)), "")
	wantPage(t, w, http.StatusServiceUnavailable, "try again")
	if strings.Contains(w.Body.String(), "api.stripe.com") {
		t.Error("the page shows the Stripe error")
	}
}

func TestUnsubscribe(t *testing.T) {
	e := newLinkEnv(t)
	c := e.newCase(t, "in_1", recoup.StateScheduled, recoup.CategoryFunds)
	path := "/unsubscribe/" + e.token(t, updatelink.Unsubscribe, c.ID, testNow.Add(time.Hour))
	suppressed := func() bool {
		t.Helper()
		var found bool
		if err := e.store.Tx(t.Context(), func(tx recoup.Tx) error {
			_, err := tx.Suppression(c.CustomerID, "email")
			found = err == nil
			if err != nil && !recoup.IsNotFound(err) {
				return err
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return found
	}

	w := e.do("GET", path, "")
	wantPage(t, w, http.StatusOK, "Stop these emails?")
	if !strings.Contains(w.Body.String(), `<form method="post"`) || suppressed() {
		t.Fatal("GET must only show the confirmation form")
	}
	// RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the header's URL.
	wantPage(t, e.do("POST", path, "List-Unsubscribe=One-Click"), http.StatusOK, "You are unsubscribed")
	if !suppressed() {
		t.Fatal("the one-click POST did not suppress the customer")
	}
	wantPage(t, e.do("POST", path, "List-Unsubscribe=One-Click"), http.StatusOK, "You are unsubscribed") // again: no harm
	if tl := e.timeline(t, c); strings.Count(tl, "unsubscribed") != 1 {
		t.Errorf("timeline:\n%s\nwant one unsubscribe entry", tl)
	}

	for name, p := range map[string]string{
		"an update token":  "/unsubscribe/" + e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour)),
		"an expired token": "/unsubscribe/" + e.token(t, updatelink.Unsubscribe, c.ID, testNow.Add(-time.Second)),
	} {
		t.Run(name, func(t *testing.T) {
			w := e.do("POST", p, "List-Unsubscribe=One-Click")
			if w.Code < 400 || strings.Contains(w.Body.String(), "You are unsubscribed") {
				t.Errorf("status %d, body %s", w.Code, w.Body.String())
			}
		})
	}
}

func TestNoLinkPagesWithoutConfig(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/u/abc", "/unsubscribe/abc"} {
		r := httptest.NewRequest("GET", p, nil)
		w := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404 when links are not configured", p, w.Code)
		}
	}
}

// A click counts on the case's latest campaign message, which the campaign page's click rate reads.
func TestUpdateLinkClickCountsOnTheMessage(t *testing.T) {
	e := newLinkEnv(t)
	c := e.newCase(t, "in_click", recoup.StateAwaitingCustomer, recoup.CategoryCustomerFix)
	if err := e.store.Tx(t.Context(), func(tx recoup.Tx) error {
		for step, tmpl := range []string{"first", "second"} {
			m := &recoup.Message{CaseID: c.ID, InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Step: step, Channel: "email",
				Template: tmpl, Status: recoup.MessageSent, CreatedAt: testNow, SentAt: testNow}
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if w := e.do("GET", "/u/"+e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour)), ""); w.Code != http.StatusSeeOther {
			t.Fatalf("status %d", w.Code)
		}
	}
	steps, err := e.store.CampaignSteps(t.Context(), testNow.Add(-time.Hour), testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []recoup.StepStats{{Template: "first", Step: 0, Sent: 1}, {Template: "second", Step: 1, Sent: 1, Clicked: 1}}
	if len(steps) != 2 || steps[0] != want[0] || steps[1] != want[1] {
		t.Errorf("campaign steps: want %+v, got %+v", want, steps)
	}
}
