package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/metrics"
)

const (
	testToken  = "admin-token-for-tests"
	testSecret = "whsec_test_secret"
)

var testNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// env is a server on fakes, with its logs captured.
type env struct {
	srv     *Server
	store   *fakeStore
	intake  *fakeIntake
	metrics *metrics.Metrics
	logs    *syncBuffer
}

// newEnv returns a server whose Config the mods may adjust before it is built.
func newEnv(t *testing.T, mods ...func(*Config)) *env {
	t.Helper()
	e := &env{store: newFakeStore(), intake: newFakeIntake(), logs: &syncBuffer{}}
	e.metrics = metrics.New(e.store)
	cfg := Config{
		Store:      e.store,
		Intake:     e.intake,
		Verifier:   &hmacVerifier{secret: testSecret, now: func() time.Time { return testNow }},
		AdminToken: testToken,
		Metrics:    e.metrics,
		Now:        func() time.Time { return testNow },
		Logger:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, mod := range mods {
		mod(&cfg)
	}
	e.srv = New(cfg)
	return e
}

// do serves req and returns the recorded response.
func (e *env) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// get serves GET path, with the bearer token if token is not empty.
func (e *env) get(path, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

// decode decodes a JSON response body into a T, failing the test if it is not JSON.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json; body: %s", ct, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	return v
}

// wantError checks an error response's status and JSON code.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) errorBody {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body: %s", rec.Code, status, rec.Body)
	}
	body := decode[errorBody](t, rec)
	if body.Error.Code != code {
		t.Errorf("error code = %q, want %q (message %q)", body.Error.Code, code, body.Error.Message)
	}
	return body
}

// fakeStore serves reads from memory. Methods the web layer does not call are left to the
// embedded nil interface and panic if called.
type fakeStore struct {
	recoup.Store

	mu       sync.Mutex
	cases    []recoup.Case // by ascending ID
	timeline map[int64][]recoup.TimelineEntry
	attempts map[int64][]recoup.Attempt
	filters  []recoup.CaseFilter // every filter Cases received
	err      error               // returned by every read when set
	readyErr error
}

func newFakeStore() *fakeStore {
	return &fakeStore{timeline: map[int64][]recoup.TimelineEntry{}, attempts: map[int64][]recoup.Attempt{}}
}

// addCases adds n cases, in states taken in turn from recoup.CaseStates.
func (s *fakeStore) addCases(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		id := int64(len(s.cases) + 1)
		s.cases = append(s.cases, recoup.Case{
			ID:            id,
			InvoiceID:     "in_" + strconv.FormatInt(id, 10),
			CustomerID:    "cus_" + strconv.FormatInt(id, 10),
			CustomerEmail: "customer" + strconv.FormatInt(id, 10) + "@example.com",
			Amount:        recoup.Money{Amount: 1999, Currency: "usd"},
			State:         recoup.CaseStates[int(id-1)%len(recoup.CaseStates)],
			Category:      recoup.CategoryFunds,
			CreatedAt:     testNow.Add(-time.Duration(id) * time.Hour),
		})
	}
}

func (s *fakeStore) Cases(_ context.Context, f recoup.CaseFilter) (recoup.CasePage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filters = append(s.filters, f)
	if s.err != nil {
		return recoup.CasePage{}, s.err
	}
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	var page recoup.CasePage
	for _, c := range slices.Backward(s.cases) {
		if (f.State != "" && c.State != f.State) || (f.Before != 0 && c.ID >= f.Before) {
			continue
		}
		if len(page.Cases) == limit {
			page.Next = page.Cases[limit-1].ID
			break
		}
		page.Cases = append(page.Cases, c)
	}
	return page, nil
}

func (s *fakeStore) Case(_ context.Context, id int64) (recoup.Case, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return recoup.Case{}, s.err
	}
	for _, c := range s.cases {
		if c.ID == id {
			return c, nil
		}
	}
	return recoup.Case{}, recoup.Errorf(recoup.ENOTFOUND, "case %d not found", id)
}

// CaseDetail is the fake's only read of a case's history: Timeline and Attempts are left to
// the nil interface, so that a handler reading the history apart from the case fails.
func (s *fakeStore) CaseDetail(ctx context.Context, id int64) (recoup.CaseDetail, error) {
	c, err := s.Case(ctx, id)
	if err != nil {
		return recoup.CaseDetail{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return recoup.CaseDetail{Case: c, Timeline: s.timeline[id], Attempts: s.attempts[id]}, nil
}

func (s *fakeStore) CountCases(context.Context) (map[recoup.CaseState]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[recoup.CaseState]int{}
	for _, c := range s.cases {
		counts[c.State]++
	}
	return counts, s.err
}

func (s *fakeStore) Ready(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readyErr
}

// fakeIntake stores events by id in memory, as the engine's Ingest does in the database.
type fakeIntake struct {
	mu    sync.Mutex
	calls []ingestCall
	seen  map[string]bool
	err   error // returned by Ingest when set
}

type ingestCall struct {
	now time.Time
	ev  recoup.Event
}

func newFakeIntake() *fakeIntake { return &fakeIntake{seen: map[string]bool{}} }

func (in *fakeIntake) Ingest(_ context.Context, now time.Time, ev *recoup.Event) (bool, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.calls = append(in.calls, ingestCall{now: now, ev: *ev})
	if in.err != nil {
		return false, in.err
	}
	if in.seen[ev.ID] {
		return false, nil
	}
	in.seen[ev.ID] = true
	return true, nil
}

func (in *fakeIntake) Calls() []ingestCall {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.calls)
}

// hmacVerifier checks signatures the way Stripe's libraries do (HMAC-SHA256 over
// "<t>.<body>", every v1 candidate, a 5-minute tolerance) and parses the event envelope, so
// that tests and the benchmark pay the real cost. The real verifier lives in the stripe adapter.
type hmacVerifier struct {
	secret string
	now    func() time.Time
}

const signatureTolerance = 5 * time.Minute

func (v *hmacVerifier) Verify(payload []byte, header string) (recoup.Event, error) {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, val, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = val
		case "v1":
			if b, err := hex.DecodeString(val); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return recoup.Event{}, recoup.Errorf(recoup.EUNAUTHORIZED, "no valid signature header")
	}
	if d := v.now().Sub(time.Unix(sec, 0)); d > signatureTolerance || d < -signatureTolerance {
		return recoup.Event{}, recoup.Errorf(recoup.EUNAUTHORIZED, "signature timestamp outside tolerance")
	}
	want := mac(v.secret, ts, payload)
	if !slices.ContainsFunc(sigs, func(s []byte) bool { return hmac.Equal(s, want) }) {
		return recoup.Event{}, recoup.Errorf(recoup.EUNAUTHORIZED, "no signature matches")
	}

	var env struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Created  int64  `json:"created"`
		Livemode bool   `json:"livemode"`
		Data     struct {
			Object struct {
				ID       string `json:"id"`
				Customer string `json:"customer"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payload, &env); err != nil {
		return recoup.Event{}, recoup.Errorf(recoup.EINVALID, "event is not JSON: %w", err)
	}
	if env.Type == "" {
		return recoup.Event{}, recoup.Errorf(recoup.EINVALID, "event has no type")
	}
	return recoup.Event{
		ID: env.ID, Type: env.Type, ObjectID: env.Data.Object.ID, CustomerID: env.Data.Object.Customer,
		Livemode: env.Livemode, Created: time.Unix(env.Created, 0).UTC(), Payload: payload,
	}, nil
}

func mac(secret, ts string, payload []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(payload)
	return h.Sum(nil)
}

// sign returns a Stripe-Signature header for payload, signed with secret at time at.
func sign(secret string, at time.Time, payload []byte) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, payload))
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestNewRequiresDependencies(t *testing.T) {
	full := Config{Store: newFakeStore(), Intake: newFakeIntake(), Verifier: &hmacVerifier{}}
	for name, cfg := range map[string]Config{
		"no store":    {Intake: full.Intake, Verifier: full.Verifier},
		"no intake":   {Store: full.Store, Verifier: full.Verifier},
		"no verifier": {Store: full.Store, Intake: full.Intake},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			New(cfg)
		})
	}
	t.Run("defaults", func(t *testing.T) {
		s := New(full)
		if s.maxBody != DefaultMaxBodyBytes || s.now == nil || s.logger == nil || s.ready == nil {
			t.Errorf("defaults not applied: maxBody=%d now=%v logger=%v ready=%v", s.maxBody, s.now != nil, s.logger != nil, s.ready != nil)
		}
		// Without metrics nothing is counted and /metrics is not served.
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET /metrics without metrics = %d, want 404", rec.Code)
		}
	})
}

func TestHTTPServerHasTimeouts(t *testing.T) {
	e := newEnv(t)
	hs := e.srv.HTTPServer("127.0.0.1:0")
	if hs.Addr != "127.0.0.1:0" || hs.Handler == nil || hs.ErrorLog == nil {
		t.Errorf("server not wired: addr=%q handler=%v errorlog=%v", hs.Addr, hs.Handler != nil, hs.ErrorLog != nil)
	}
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": hs.ReadHeaderTimeout, "ReadTimeout": hs.ReadTimeout,
		"WriteTimeout": hs.WriteTimeout, "IdleTimeout": hs.IdleTimeout,
	} {
		if d <= 0 {
			t.Errorf("%s is not set", name)
		}
	}
	if hs.MaxHeaderBytes <= 0 || hs.MaxHeaderBytes >= http.DefaultMaxHeaderBytes {
		t.Errorf("MaxHeaderBytes = %d, want set below the default %d", hs.MaxHeaderBytes, http.DefaultMaxHeaderBytes)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	e.store.addCases(1)
	for _, tc := range []struct {
		name    string
		req     *http.Request
		noStore bool
	}{
		{"healthz", httptest.NewRequest(http.MethodGet, "/healthz", nil), false},
		{"webhook", httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader("{}")), false},
		{"not found", httptest.NewRequest(http.MethodGet, "/nowhere", nil), false},
		{"api", authed(httptest.NewRequest(http.MethodGet, "/api/v1/cases", nil)), true},
		{"api refused", httptest.NewRequest(http.MethodGet, "/api/v1/cases/1", nil), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := e.do(tc.req).Header()
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if got := h.Get("Cache-Control"); (got == "no-store") != tc.noStore {
				t.Errorf("Cache-Control = %q, want no-store: %v", got, tc.noStore)
			}
		})
	}
}

func authed(r *http.Request) *http.Request {
	r.Header.Set("Authorization", "Bearer "+testToken)
	return r
}

func TestRequestLog(t *testing.T) {
	e := newEnv(t)
	e.store.addCases(3)

	e.get("/api/v1/cases/2?note=do-not-log-me", testToken)
	e.get("/api/v1/cases?state=open&limit=1", testToken)
	e.get("/no/such/path", "")

	logs := e.logs.String()
	for _, want := range []string{
		`msg="http request" method=GET pattern="GET /api/v1/cases/{id}" status=200 duration=`,
		`msg="http request" method=GET pattern="GET /api/v1/cases" status=200 duration=`,
		`msg="http request" method=GET pattern=unmatched status=404 duration=`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, leak := range []string{"do-not-log-me", "state=open", "/api/v1/cases/2", "/no/such/path", testToken} {
		if strings.Contains(logs, leak) {
			t.Errorf("logs contain %q:\n%s", leak, logs)
		}
	}
}

func TestStatusRecorderDefaultsTo200(t *testing.T) {
	e := newEnv(t)
	rec := httptest.NewRecorder()
	// A handler that writes a body without WriteHeader is logged as 200.
	e.srv.logRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "x")
	})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if !strings.Contains(e.logs.String(), "status=200") {
		t.Errorf("logs: %s", e.logs)
	}
}
