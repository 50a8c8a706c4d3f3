package dashboard_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sqlite"
)

// hostile is a customer email, a timeline summary and a message text chosen to break out of
// HTML if anything rendered them unescaped.
const hostile = `<script>alert("pwned")</script>`

// password is every test user's password.
const password = "correct horse battery staple"

// env is a dashboard on a real SQLite store, served on loopback, with a user of each role and
// a few cases. The engine is real; it has no gateway, which the operator actions never call
// (they plan jobs, which the test queue keeps and does not run).
type env struct {
	t      testing.TB
	store  *sqlite.Store
	dash   *dashboard.Dashboard
	srv    *httptest.Server
	users  map[recoup.Role]recoup.User
	cases  []recoup.Case // cases[0] has hostile data
	mu     sync.Mutex
	now    time.Time
	jobs   []recoup.Job
	engine *engine.Engine
}

func newEnv(t testing.TB, mods ...func(*dashboard.Config)) *env {
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
	e := &env{t: t, now: time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC), users: map[recoup.Role]recoup.User{}}
	e.store = sqlite.NewStore(db, func(_ context.Context, _ *sql.Tx, jobs []recoup.Job) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.jobs = append(e.jobs, jobs...)
		return nil
	})
	e.engine = engine.New(engine.Config{Store: e.store, Policy: policy.Default()})
	cfg := dashboard.Config{
		Store: e.store, Access: e.store, Analytics: e.store, Operator: e.engine, Policy: e.engine.Policy,
		Now: e.clock,
	}
	for _, mod := range mods {
		mod(&cfg)
	}
	e.dash = dashboard.New(cfg)
	e.srv = httptest.NewServer(e.dash.Handler())
	t.Cleanup(e.srv.Close)
	hash, err := dashboard.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range recoup.Roles {
		u := recoup.User{Email: string(role) + "@example.com", Role: role, PasswordHash: hash, CreatedAt: e.now}
		if err := e.store.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		e.users[role] = u
	}
	e.seed()
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// seed stores three cases: a scheduled one with hostile customer data and a full history, a
// recovered one and an exhausted one.
func (e *env) seed() {
	e.t.Helper()
	day := 24 * time.Hour
	mk := func(n int, state recoup.CaseState, by recoup.RecoveredBy, email string, amount int64, age time.Duration) recoup.Case {
		created := e.now.Add(-age)
		c := recoup.Case{InvoiceID: fmt.Sprintf("in_%d", n), CustomerID: fmt.Sprintf("cus_%d", n), CustomerEmail: email,
			Amount: recoup.Money{Amount: amount, Currency: "usd"}, State: state, Category: recoup.CategoryFunds, RecoveredBy: by,
			LastDecline:   &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds", CardBrand: "visa"},
			FirstFailedAt: created, CreatedAt: created, UpdatedAt: created}
		if !state.Active() {
			c.ResolvedAt = created.Add(2 * day)
		}
		if state == recoup.StateScheduled {
			c.NextAction = &recoup.Action{Seq: 1, Kind: recoup.ActionRetry, At: e.now.Add(day), Reason: "day 3 of the schedule"}
			c.PlanSeq = 1
		}
		return c
	}
	cases := []recoup.Case{
		mk(1, recoup.StateScheduled, "", hostile+"@example.com", 4900, 2*day),
		mk(2, recoup.StateRecovered, recoup.ByRecoupRetry, "grace@example.com", 2500, 5*day),
		mk(3, recoup.StateExhausted, "", "linus@example.com", 1200, 20*day),
	}
	cases[0].Segment, cases[1].Segment, cases[2].Segment = "enterprise", "default", "default"
	err := e.store.Tx(context.Background(), func(tx recoup.Tx) error {
		for i := range cases {
			if err := tx.CreateCase(&cases[i]); err != nil {
				return err
			}
		}
		c := cases[0]
		for _, te := range []recoup.TimelineEntry{
			{CaseID: c.ID, At: c.CreatedAt, Kind: recoup.EntryEvent, Summary: "invoice.payment_failed: " + hostile},
			{CaseID: c.ID, At: c.CreatedAt, Kind: recoup.EntryDecision, Summary: "retry Fri: day 3 of the schedule", Detail: []byte(`{"inputs":{"name":"` + strings.ReplaceAll(hostile, `"`, `\"`) + `"}}`)},
		} {
			if err := tx.AppendTimeline(&te); err != nil {
				return err
			}
		}
		a := recoup.Attempt{CaseID: c.ID, N: 1, Source: recoup.SourceStripe, Status: recoup.AttemptDeclined,
			Decline: cases[0].LastDecline, StartedAt: c.CreatedAt, FinishedAt: c.CreatedAt}
		if err := tx.InsertAttempt(&a); err != nil {
			return err
		}
		m := recoup.Message{CaseID: c.ID, InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Step: 0, Channel: "email", Template: "gentle",
			Tone: "gentle", To: c.CustomerEmail, Subject: "Your payment " + hostile, Text: "Hello " + hostile + ",\nplease update your card.",
			Status: recoup.MessageSent, CreatedAt: c.CreatedAt, SentAt: c.CreatedAt}
		if err := tx.InsertMessage(&m); err != nil {
			return err
		}
		return tx.(recoup.ClickRecorder).RecordClick(c.ID, c.CreatedAt.Add(time.Hour))
	})
	if err != nil {
		e.t.Fatal(err)
	}
	// The policy in force, and an older version it replaced.
	p := e.engine.Policy()
	for _, v := range []struct {
		version, source string
		at              time.Time
	}{{"0ld0ld0ld0ld", "mode: observe\n", e.now.Add(-30 * day)}, {p.Version, string(p.Source), e.now.Add(-day)}} {
		if err := e.store.RecordPolicyVersion(context.Background(), v.version, v.source, "", v.at); err != nil {
			e.t.Fatal(err)
		}
	}
	e.cases = cases
}

// client is a browser: a cookie jar, and no redirects followed, so tests see each answer.
type client struct {
	t    testing.TB
	e    *env
	http *http.Client
	csrf string
}

func (e *env) anonymous() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// as returns a client signed in as the role's user through a session made in the store, which
// leaves the login limits alone.
func (e *env) as(role recoup.Role) *client {
	e.t.Helper()
	c := e.anonymous()
	secret, err := dashboard.NewSecret(32)
	if err != nil {
		e.t.Fatal(err)
	}
	c.csrf = "csrf-" + secret[:8]
	s := recoup.Session{IDHash: dashboard.HashSecret(secret), UserID: e.users[role].ID, CSRFToken: c.csrf,
		CreatedAt: e.clock(), ExpiresAt: e.clock().Add(time.Hour)}
	if err := e.store.CreateSession(context.Background(), s); err != nil {
		e.t.Fatal(err)
	}
	u, _ := url.Parse(e.srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "recoup_session", Value: secret, Path: "/"}})
	return c
}

// do sends a request and returns the status, the Location header and the body.
func (c *client) do(method, path string, form url.Values) (int, string, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

func (c *client) get(path string) (int, string, string) { return c.do("GET", path, nil) }

// post sends form with the client's CSRF token.
func (c *client) post(path string, form url.Values) (int, string, string) {
	if form == nil {
		form = url.Values{}
	}
	if c.csrf != "" && !form.Has("csrf") {
		form.Set("csrf", c.csrf)
	}
	return c.do("POST", path, form)
}

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login signs in through the form, as a person would.
func (c *client) login(email, pw string) (int, string) {
	c.t.Helper()
	_, _, body := c.get("/ui/login")
	m := hiddenCSRF.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no CSRF field on the login page:\n%s", body)
	}
	status, loc, _ := c.do("POST", "/ui/login", url.Values{"csrf": {m[1]}, "email": {email}, "password": {pw}})
	return status, loc
}
