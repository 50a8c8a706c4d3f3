package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// eventJSON returns a Stripe-like invoice.payment_failed event carrying customer data that
// must never reach the logs.
func eventJSON(id string) []byte {
	return fmt.Appendf(nil, `{
  "id": %q,
  "object": "event",
  "type": "invoice.payment_failed",
  "created": %d,
  "livemode": false,
  "data": {"object": {
    "id": "in_1Abc",
    "object": "invoice",
    "customer": "cus_9Xyz",
    "customer_email": "jane.doe@example.com",
    "customer_name": "Jane Doe",
    "amount_due": 1999,
    "currency": "usd",
    "status": "open"
  }}
}`, id, testNow.Add(-time.Minute).Unix())
}

// postWebhook delivers payload with the given Stripe-Signature header.
func (e *env) postWebhook(payload []byte, sig string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	return e.do(req)
}

func TestWebhookStoresVerifiedEvent(t *testing.T) {
	e := newEnv(t)
	payload := eventJSON("evt_1")

	rec := e.postWebhook(payload, sign(testSecret, testNow, payload))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", rec.Code, rec.Body)
	}
	if got := decode[receipt](t, rec); !got.Received {
		t.Errorf("body = %s, want received true", rec.Body)
	}

	calls := e.intake.Calls()
	if len(calls) != 1 {
		t.Fatalf("Ingest called %d times, want 1", len(calls))
	}
	call := calls[0]
	if !call.now.Equal(testNow) {
		t.Errorf("Ingest now = %v, want the clock's %v", call.now, testNow)
	}
	ev := call.ev
	want := recoup.Event{
		ID: "evt_1", Type: "invoice.payment_failed", ObjectID: "in_1Abc", CustomerID: "cus_9Xyz",
		Created: testNow.Add(-time.Minute), Origin: recoup.OriginWebhook, ReceivedAt: testNow,
	}
	if ev.ID != want.ID || ev.Type != want.Type || ev.ObjectID != want.ObjectID || ev.CustomerID != want.CustomerID ||
		!ev.Created.Equal(want.Created) || ev.Origin != want.Origin || !ev.ReceivedAt.Equal(want.ReceivedAt) {
		t.Errorf("Ingest event = %+v\nwant %+v", ev, want)
	}
	if !bytes.Equal(ev.Payload, payload) {
		t.Errorf("Ingest payload differs from the raw body")
	}

	logs := e.logs.String()
	if !strings.Contains(logs, "event_id=evt_1") || !strings.Contains(logs, "type=invoice.payment_failed") {
		t.Errorf("logs lack the event id and type:\n%s", logs)
	}
	for _, leak := range []string{"jane.doe@example.com", "Jane Doe", "amount_due"} {
		if strings.Contains(logs, leak) {
			t.Errorf("logs contain customer data %q:\n%s", leak, logs)
		}
	}
}

func TestWebhookDuplicate(t *testing.T) {
	e := newEnv(t)
	payload := eventJSON("evt_dup")
	sig := sign(testSecret, testNow, payload)

	for i := range 2 {
		rec := e.postWebhook(payload, sig)
		if rec.Code != http.StatusOK {
			t.Fatalf("delivery %d: status = %d, want 200; body: %s", i+1, rec.Code, rec.Body)
		}
		if got := decode[receipt](t, rec); !got.Received {
			t.Errorf("delivery %d: body = %s", i+1, rec.Body)
		}
	}
	if n := len(e.intake.Calls()); n != 2 {
		t.Errorf("Ingest called %d times, want 2 (the store dedupes)", n)
	}
	wantMetrics(t, e, "recoup_webhooks_received_total 2", "recoup_webhooks_duplicate_total 1")
	if !strings.Contains(e.logs.String(), "event_id=evt_dup type=invoice.payment_failed livemode=false duplicate=true") {
		t.Errorf("the redelivery is not logged as a duplicate:\n%s", e.logs)
	}
}

func TestWebhookRejectsBadSignature(t *testing.T) {
	payload := eventJSON("evt_forged")
	for _, tc := range []struct {
		name string
		sig  string
	}{
		{"no header", ""},
		{"garbage header", "nonsense"},
		{"wrong secret", sign("whsec_other", testNow, payload)},
		{"stale", sign(testSecret, testNow.Add(-time.Hour), payload)},
		{"other body", sign(testSecret, testNow, eventJSON("evt_other"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			rec := e.postWebhook(payload, tc.sig)
			body := wantError(t, rec, http.StatusBadRequest, recoup.EINVALID)
			if body.Error.Message != "signature verification failed" {
				t.Errorf("message = %q", body.Error.Message)
			}
			if n := len(e.intake.Calls()); n != 0 {
				t.Errorf("Ingest called %d times, want never", n)
			}
			wantMetrics(t, e, `recoup_webhooks_rejected_total{reason="bad_signature"} 1`)
		})
	}
}

func TestWebhookRejectsMalformedEvent(t *testing.T) {
	for name, payload := range map[string][]byte{
		"not JSON": []byte("this is not json"),
		"no type":  []byte(`{"id":"evt_1","object":"event"}`),
		"no id":    []byte(`{"type":"invoice.paid","object":"event"}`),
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			rec := e.postWebhook(payload, sign(testSecret, testNow, payload))
			body := wantError(t, rec, http.StatusBadRequest, recoup.EINVALID)
			if body.Error.Message != "malformed event" {
				t.Errorf("message = %q", body.Error.Message)
			}
			if n := len(e.intake.Calls()); n != 0 {
				t.Errorf("Ingest called %d times, want never", n)
			}
			wantMetrics(t, e, `recoup_webhooks_rejected_total{reason="malformed"} 1`)
			if strings.Contains(e.logs.String(), string(payload)) {
				t.Errorf("the payload was logged:\n%s", e.logs)
			}
		})
	}
}

func TestWebhookTooLarge(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 1024 })
	payload := eventJSON("evt_big")
	payload = append(payload[:len(payload)-1], fmt.Appendf(nil, `, "pad": %q}`, strings.Repeat("x", 2048))...)

	rec := e.postWebhook(payload, sign(testSecret, testNow, payload))
	wantError(t, rec, http.StatusRequestEntityTooLarge, "too_large")
	if n := len(e.intake.Calls()); n != 0 {
		t.Errorf("Ingest called %d times, want never", n)
	}
	wantMetrics(t, e, `recoup_webhooks_rejected_total{reason="too_large"} 1`)

	// Exactly at the limit is accepted.
	e = newEnv(t, func(c *Config) { c.MaxBodyBytes = int64(len(eventJSON("evt_fits"))) })
	payload = eventJSON("evt_fits")
	if rec := e.postWebhook(payload, sign(testSecret, testNow, payload)); rec.Code != http.StatusOK {
		t.Errorf("body at the limit: status = %d, want 200", rec.Code)
	}
}

func TestWebhookIntakeFailureAsksForRedelivery(t *testing.T) {
	e := newEnv(t)
	e.intake.err = recoup.Errorf(recoup.EUNAVAILABLE, "database: dial tcp 10.0.0.5:5432: connection refused")
	payload := eventJSON("evt_down")

	rec := e.postWebhook(payload, sign(testSecret, testNow, payload))
	body := wantError(t, rec, http.StatusServiceUnavailable, recoup.EUNAVAILABLE)
	if strings.Contains(rec.Body.String(), "10.0.0.5") {
		t.Errorf("the response leaks the cause: %s", rec.Body)
	}
	if body.Error.Message != "the event could not be stored; retry later" {
		t.Errorf("message = %q", body.Error.Message)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "evt_down") || !strings.Contains(logs, "connection refused") {
		t.Errorf("the log lacks the event and the cause:\n%s", logs)
	}

	// Any Intake failure, coded or not, asks Stripe to come back.
	e.intake.err = io.ErrUnexpectedEOF
	rec = e.postWebhook(payload, sign(testSecret, testNow, payload))
	wantError(t, rec, http.StatusServiceUnavailable, recoup.EUNAVAILABLE)
}

func TestWebhookVerifierFault(t *testing.T) {
	// An error that is neither a bad signature nor a malformed event is ours: 500, not counted
	// as a rejection, and Stripe will retry.
	e := newEnv(t, func(c *Config) {
		c.Verifier = verifierFunc(func([]byte, string) (recoup.Event, error) { return recoup.Event{}, io.ErrClosedPipe })
	})
	rec := e.postWebhook([]byte("{}"), "t=1,v1=00")
	wantError(t, rec, http.StatusInternalServerError, recoup.EINTERNAL)
	if n := len(e.intake.Calls()); n != 0 {
		t.Errorf("Ingest called %d times, want never", n)
	}
}

type verifierFunc func(payload []byte, sig string) (recoup.Event, error)

func (f verifierFunc) Verify(payload []byte, sig string) (recoup.Event, error) {
	return f(payload, sig)
}

func TestWebhookWrongMethod(t *testing.T) {
	e := newEnv(t)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		rec := e.do(httptest.NewRequest(method, "/webhooks/stripe", nil))
		wantError(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")
		if got := rec.Header().Get("Allow"); got != http.MethodPost {
			t.Errorf("%s: Allow = %q, want POST", method, got)
		}
	}
	wantMetrics(t, e, `recoup_webhooks_rejected_total{reason="method"} 3`)
}

func TestMetricsAfterWebhooks(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 4096 })
	e.store.addCases(len(recoup.CaseStates) + 1)
	good := eventJSON("evt_a")
	e.postWebhook(good, sign(testSecret, testNow, good))
	e.postWebhook(good, sign(testSecret, testNow, good))
	e.postWebhook(good, sign("whsec_wrong", testNow, good))
	e.postWebhook(bytes.Repeat([]byte("x"), 5000), "")

	wantMetrics(t, e,
		"recoup_webhooks_received_total 4",
		"recoup_webhooks_duplicate_total 1",
		`recoup_webhooks_rejected_total{reason="bad_signature"} 1`,
		`recoup_webhooks_rejected_total{reason="too_large"} 1`,
		`recoup_webhooks_rejected_total{reason="malformed"} 0`,
		`recoup_cases{state="open"} 2`, // the first and the last: the states cycle
		`recoup_cases{state="closed"} 1`,
		"recoup_cases_scrape_error 0",
	)
}

// wantMetrics scrapes GET /metrics and checks that each line is in the exposition.
func wantMetrics(t *testing.T, e *env, lines ...string) {
	t.Helper()
	rec := e.get("/metrics", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", rec.Code)
	}
	got := "\n" + rec.Body.String()
	for _, line := range lines {
		if !strings.Contains(got, "\n"+line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

// BenchmarkWebhookIntake measures one delivery through the whole handler stack: routing,
// logging middleware, body read, HMAC-SHA256 verification and envelope parsing, a no-op
// intake, the JSON answer.
func BenchmarkWebhookIntake(b *testing.B) {
	store := newFakeStore()
	srv := New(Config{
		Store:    store,
		Intake:   nopIntake{},
		Verifier: &hmacVerifier{secret: testSecret, now: func() time.Time { return testNow }},
		Now:      func() time.Time { return testNow },
	})
	h := srv.Handler()
	payload := eventJSON("evt_bench")
	sig := sign(testSecret, testNow, payload)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(payload))
		req.Header.Set("Stripe-Signature", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

type nopIntake struct{}

func (nopIntake) Ingest(_ context.Context, _ time.Time, _ *recoup.Event) (bool, error) {
	return true, nil
}
