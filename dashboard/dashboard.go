// Package dashboard is recoup's operator dashboard: server-rendered pages (html/template, with
// the templates, the stylesheet and a vendored htmx embedded in the binary) behind a login with
// roles. Every page reads without JavaScript; htmx only makes forms and links swap the page
// without a full reload.
//
// Access: users sign in with an email and a password (argon2id); the session lives in the store
// and the browser holds only a random cookie (HttpOnly, SameSite=Strict, and Secure with the
// __Host- prefix when Config.SecureCookies says the browser comes over https). Every POST carries the session's CSRF token. Each route names the least
// role it needs in one table (routes), which the tests walk to prove that no route answers a
// user without that role.
//
// Customer data never goes in a URL: the case list filters by ids, enums, amounts and dates in
// the query string, and the search by customer email is a POST whose answer is not linkable.
package dashboard

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/text/language"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/expreport"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/web"
)

// Operator runs the operator actions on cases. engine.Engine implements it.
type Operator interface {
	RetryNow(ctx context.Context, now time.Time, caseID int64, who string) error
	SkipToFinal(ctx context.Context, now time.Time, caseID int64, who string) error
	MarkResolved(ctx context.Context, now time.Time, caseID int64, who, why string) error
	Pause(ctx context.Context, now time.Time, caseID int64, who string) error
	Resume(ctx context.Context, now time.Time, caseID int64, who string) error
	// Approve lets a final action that waits for an operator's review run.
	Approve(ctx context.Context, now time.Time, caseID int64, who string) error
}

// Config is what the dashboard needs. Store, Access and Analytics are required (the sqlite and
// postgres stores implement all three).
type Config struct {
	Store     recoup.Store
	Access    recoup.AccessStore
	Analytics recoup.AnalyticsStore
	// Operator runs case actions; nil shows cases read-only.
	Operator Operator
	// Policy returns the policy in force (engine.Engine.Policy); nil hides the policy page's content.
	Policy func() *policy.Policy
	// Campaigns feeds the campaign page and PolicyHistory the policy page's history; nil
	// means Store's own, if it implements them (the sqlite and postgres stores do).
	Campaigns     recoup.CampaignStore
	PolicyHistory recoup.PolicyHistory
	// Experiments feeds the experiment page; nil means the Store's reports (when it implements
	// recoup.ExperimentResults) with the arms of Policy. SetPolicy, when set, puts the policy of
	// an arm an admin promotes in force for new cases (engine.Engine.SetPolicy).
	Experiments Experiments
	SetPolicy   func(*policy.Policy)
	// Metrics, when set, feeds the operations page (rejected webhooks, Stripe errors).
	Metrics prometheus.Gatherer
	// StripeKey, when set, tells the operations page whether Stripe accepts the API key.
	StripeKey func() StripeKey
	// RiverUI, when set, is mounted at Prefix+"/riverui/" for admins. It must be built with
	// that prefix.
	RiverUI http.Handler
	// Prefix is where the dashboard is mounted; "" means "/ui".
	Prefix string
	// SecureCookies marks cookies Secure. Set it whenever the dashboard is served over HTTPS,
	// which is everywhere but loopback http.
	SecureCookies bool
	// SessionTTL is how long a login lasts at most; 0 means 12 hours.
	SessionTTL time.Duration
	// IdleTimeout ends a session not used for this long; 0 means 1 hour (at most SessionTTL).
	IdleTimeout time.Duration
	// MaxConcurrentLogins bounds the password checks running at once (each holds 19 MiB);
	// 0 means DefaultMaxConcurrentLogins. A login finding none free for 2 seconds gets 503.
	MaxConcurrentLogins int
	// TrustedProxies are the peers whose X-Forwarded-For is believed: the login limits then
	// count the client address it names. Empty: the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// DataNow is the time the data is in: overview periods, operator actions, the intake's
	// lag. nil means Now. Only a simulation (recoup demo) sets it apart.
	DataNow func() time.Time
	Logger  *slog.Logger
	// Locale is how amounts and numbers are written (a BCP 47 tag such as "en-US" or
	// "de-CH"); "" means "en-US".
	Locale string
}

// Dashboard serves the pages. It is safe for concurrent use.
type Dashboard struct {
	cfg     Config
	prefix  string
	now     func() time.Time
	dataNow func() time.Time
	log     *slog.Logger
	pages   map[string]*page
	limiter *loginLimiter
	// checks holds one token per password check running (loginguard.go).
	checks        chan struct{}
	checkPassword func(hash, password string) bool
	routes        []route
	handler       http.Handler
	money         moneyFormat
}

// route is one registered pattern and the least role it needs; "" is public.
type route struct {
	Method, Path string
	Role         recoup.Role
	h            handlerFunc
	// sameOrigin checks a write by its Origin or Sec-Fetch-Site header instead of the CSRF
	// token, for a mounted app (River UI) whose scripts do not know the token.
	sameOrigin bool
}

// riverUICSP is the content security policy of the River UI: its React app sets inline styles
// and inline images, which the dashboard's own pages do not need.
const riverUICSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"

// handlerFunc handles a request for the signed-in user (zero for public routes) and returns its
// failure for one place (fail) to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request, u *viewer) error

// New returns the dashboard for cfg. It panics on a wiring mistake.
func New(cfg Config) *Dashboard {
	if cfg.Store == nil || cfg.Access == nil || cfg.Analytics == nil {
		panic("dashboard.New: Config.Store, Config.Access and Config.Analytics are required")
	}
	if cfg.Campaigns == nil {
		cfg.Campaigns, _ = cfg.Store.(recoup.CampaignStore)
	}
	if cfg.PolicyHistory == nil {
		cfg.PolicyHistory, _ = cfg.Store.(recoup.PolicyHistory)
	}
	if er, ok := cfg.Store.(recoup.ExperimentResults); ok && cfg.Experiments == nil {
		cfg.Experiments = expreport.Reader{Store: er, Policy: cfg.Policy}
	}
	d := &Dashboard{cfg: cfg, prefix: strings.TrimSuffix(cfg.Prefix, "/"), now: cfg.Now, log: cfg.Logger}
	if d.prefix == "" {
		d.prefix = "/ui"
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.dataNow = cfg.DataNow
	if d.dataNow == nil {
		d.dataNow = d.now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.cfg.SessionTTL <= 0 {
		d.cfg.SessionTTL = 12 * time.Hour
	}
	if d.cfg.IdleTimeout <= 0 {
		d.cfg.IdleTimeout = time.Hour
	}
	d.cfg.IdleTimeout = min(d.cfg.IdleTimeout, d.cfg.SessionTTL)
	tag := language.AmericanEnglish
	if cfg.Locale != "" {
		t, err := language.Parse(cfg.Locale)
		if err != nil {
			panic(fmt.Sprintf("dashboard.New: Config.Locale %q: %v", cfg.Locale, err))
		}
		tag = t
	}
	d.money = newMoneyFormat(tag)
	d.pages = mustParsePages(template.FuncMap{"money": d.money.format})
	d.limiter = newLoginLimiter()
	if d.cfg.MaxConcurrentLogins <= 0 {
		d.cfg.MaxConcurrentLogins = DefaultMaxConcurrentLogins
	}
	d.checks = make(chan struct{}, d.cfg.MaxConcurrentLogins)
	d.checkPassword = CheckPassword
	d.routes = d.routeTable()
	d.handler = d.build()
	return d
}

// routeTable lists every route of the dashboard with the least role it needs. build registers
// exactly these, so a test walking Routes covers every route.
func (d *Dashboard) routeTable() []route {
	rs := []route{
		{"GET", "/login", "", d.loginPage, false},
		{"POST", "/login", "", d.login, false},
		{"GET", "/static/{file}", "", d.static, false},
		{"POST", "/logout", recoup.RoleViewer, d.logout, false},
		{"POST", "/logout-everywhere", recoup.RoleViewer, d.logoutEverywhere, false},
		{"GET", "/{$}", recoup.RoleViewer, d.overview, false},
		{"GET", "/overview.csv", recoup.RoleViewer, d.overviewCSV, false},
		{"GET", "/cases", recoup.RoleViewer, d.cases, false},
		{"POST", "/cases/search", recoup.RoleViewer, d.searchByEmail, false},
		{"GET", "/cases.csv", recoup.RoleViewer, d.casesCSV, false},
		{"GET", "/cases/{id}", recoup.RoleViewer, d.casePage, false},
		{"POST", "/cases/{id}/retry", recoup.RoleOperator, d.actRetry, false},
		{"POST", "/cases/{id}/skip-final", recoup.RoleOperator, d.actSkipFinal, false},
		{"POST", "/cases/{id}/resolve", recoup.RoleOperator, d.actResolve, false},
		{"POST", "/cases/{id}/pause", recoup.RoleOperator, d.actPause, false},
		{"POST", "/cases/{id}/approve", recoup.RoleOperator, d.actApprove, false},
		{"POST", "/cases/{id}/resume", recoup.RoleOperator, d.actResume, false},
		{"GET", "/campaigns", recoup.RoleViewer, d.campaignsPage, false},
		{"GET", "/policy", recoup.RoleViewer, d.policyPage, false},
		{"GET", "/experiment", recoup.RoleViewer, d.experimentPage, false},
		{"GET", "/experiment.csv", recoup.RoleViewer, d.experimentCSV, false},
		{"POST", "/experiment/end", recoup.RoleAdmin, d.endExperiment, false},
		{"GET", "/audit", recoup.RoleAdmin, d.auditPage, false},
		{"GET", "/operations", recoup.RoleAdmin, d.operationsPage, false},
	}
	if d.cfg.RiverUI != nil {
		// River's own single-page app and its JSON API: its scripts cannot send the CSRF
		// token, so its writes are checked by origin instead (sameOrigin).
		ui := d.cfg.RiverUI
		riverUI := func(w http.ResponseWriter, r *http.Request, _ *viewer) error {
			w.Header().Set("Content-Security-Policy", riverUICSP)
			ui.ServeHTTP(w, r)
			return nil
		}
		for _, m := range []string{"GET", "POST", "PUT", "PATCH"} {
			rs = append(rs, route{Method: m, Path: "/riverui/", Role: recoup.RoleAdmin, h: riverUI, sameOrigin: true})
		}
	}
	return rs
}

// Route is a registered route, for tests and documentation.
type Route struct {
	Method, Path string      // Path includes the prefix
	Role         recoup.Role // "" for public routes
}

// Routes lists every route the dashboard serves.
func (d *Dashboard) Routes() []Route {
	out := make([]Route, len(d.routes))
	for i, r := range d.routes {
		out[i] = Route{r.Method, d.prefix + r.Path, r.Role}
	}
	return out
}

// Prefix is the path the dashboard is mounted at, without a trailing slash.
func (d *Dashboard) Prefix() string { return d.prefix }

// Handler serves the dashboard under its prefix.
func (d *Dashboard) Handler() http.Handler { return d.handler }

func (d *Dashboard) build() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range d.routes {
		mux.Handle(rt.Method+" "+d.prefix+rt.Path, d.guard(rt))
	}
	// Anything else under the prefix is a 404 page; it reveals nothing, so it needs no login.
	mux.Handle(d.prefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, nil, recoup.Errorf(recoup.ENOTFOUND, "no such page"))
	}))
	return pageHeaders(mux)
}

// guard runs rt's handler only for a user whose role allows it, and checks the CSRF token of
// every POST a signed-in user sends. An anonymous reader is sent to the login page; a
// signed-in user without the role gets 403.
func (d *Dashboard) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Role == "" {
			if err := rt.h(w, r, nil); err != nil {
				d.fail(w, r, nil, err)
			}
			return
		}
		u, err := d.viewerOf(r)
		if err != nil {
			if recoup.ErrorCode(err) != recoup.EUNAUTHORIZED {
				d.fail(w, r, nil, err)
				return
			}
			if r.Method == http.MethodGet {
				http.Redirect(w, r, d.prefix+"/login", http.StatusSeeOther)
				return
			}
			d.fail(w, r, nil, err)
			return
		}
		if !u.User.Role.Allows(rt.Role) {
			d.fail(w, r, u, &httpError{http.StatusForbidden, fmt.Sprintf("this page needs the %s role; you are %s", rt.Role, u.User.Role)})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			check := func() error { return d.checkCSRF(r, u.Session.CSRFToken) }
			if rt.sameOrigin {
				check = func() error { return checkSameOrigin(r) }
			}
			if err := check(); err != nil {
				d.fail(w, r, u, err)
				return
			}
		}
		if err := rt.h(w, r, u); err != nil {
			d.fail(w, r, u, err)
		}
	})
}

// httpError is a failure that exists only in HTTP terms.
type httpError struct {
	status  int
	message string
}

func (e *httpError) Error() string { return e.message }

// statusOf maps an error to the page's status and the message safe to show: the web layer's
// mapping of domain error codes, and the dashboard's own refusals.
func statusOf(err error) (int, string) {
	if he, ok := errors.AsType[*httpError](err); ok {
		return he.status, he.message
	}
	return web.Describe(err)
}

// fail renders err as an error page. Server-side failures are logged (never with customer
// data: the route pattern, not the path).
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, u *viewer, err error) {
	status, msg := statusOf(err)
	if status >= 500 {
		d.log.ErrorContext(r.Context(), "dashboard request failed", "method", r.Method, "pattern", r.Pattern, "error", err.Error())
	}
	d.render(w, r, status, "error", u, map[string]any{"Status": status, "StatusText": http.StatusText(status), "Message": msg})
}

// pageHeaders sets the headers of every dashboard response: no caching (pages hold customer
// data) and a content security policy that allows only the dashboard's own files, so that even
// a missed escape could not run a script.
func pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// static serves the embedded stylesheet and scripts. Their names carry a version, so they may
// be cached.
func (d *Dashboard) static(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	name := r.PathValue("file")
	b, err := fs.ReadFile(staticFS, "static/"+name)
	if err != nil || strings.Contains(name, "/") {
		return recoup.Errorf(recoup.ENOTFOUND, "no such file")
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".svg"):
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
	return nil
}
