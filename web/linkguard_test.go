package web

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

// Mail scanners prefetch links with HEAD: it must not create a portal session, write the
// timeline or count a click.
func TestLinkHeadHasNoSideEffects(t *testing.T) {
	e := newLinkEnv(t)
	c := e.newCase(t, "in_head", recoup.StateAwaitingCustomer, recoup.CategoryCustomerFix)
	tok := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
	for range 3 {
		if w := e.do("HEAD", "/u/"+tok, ""); w.Code != http.StatusOK {
			t.Fatalf("HEAD: status %d", w.Code)
		}
	}
	if w := e.do("HEAD", "/u/"+tok[:20], ""); w.Code != http.StatusBadRequest {
		t.Errorf("HEAD of a broken token: status %d", w.Code)
	}
	if len(e.portal.customers) != 0 {
		t.Errorf("HEAD created %d portal sessions", len(e.portal.customers))
	}
	if tl := e.timeline(t, c); tl != "" {
		t.Errorf("HEAD wrote the timeline:\n%s", tl)
	}
	if w := e.do("GET", "/u/"+tok, ""); w.Code != http.StatusSeeOther || len(e.portal.customers) != 1 {
		t.Fatalf("GET after the HEADs: status %d, %d sessions", w.Code, len(e.portal.customers))
	}
}

// The same attack as the (20 requests a second on one link, from 10 addresses, a
// fifth of them HEAD), through the real Stripe client and the fake Stripe: the Stripe calls
// and timeline rows it causes are bounded. docs/benchmarks.md has the figures.
func TestLinkFloodIsBounded(t *testing.T) {
	res := floodLink(t, 1000)
	if res.stripeCalls > 5 || res.timelineRows > 2 {
		t.Errorf("1,000 requests on one link made %d Stripe calls and %d timeline rows (statuses %v)", res.stripeCalls, res.timelineRows, res.statuses)
	}
	if res.statuses[http.StatusTooManyRequests] == 0 {
		t.Errorf("no request was refused: statuses %v", res.statuses)
	}
}

// clockedLinkEnv is a link environment whose clock the test moves.
func clockedLinkEnv(t *testing.T, lim LinkLimits) (*linkEnv, *time.Time) {
	t.Helper()
	e := newLinkEnv(t)
	now := testNow
	e.srv = New(Config{Store: e.store, Intake: newFakeIntake(), Verifier: &hmacVerifier{secret: testSecret}, Now: func() time.Time { return now },
		Links: &LinksConfig{Signer: e.signer, Portal: e.portal, BaseURL: "https://pay.example.com", Limits: lim}})
	return e, &now
}

func (e *linkEnv) from(method, path, addr string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = addr + ":5555"
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	return w
}

func TestLinkLimitsPerTokenAndAddress(t *testing.T) {
	e, now := clockedLinkEnv(t, LinkLimits{PerToken: 6, TokenBurst: 3, PerAddress: 60, AddressBurst: 5})
	c := e.newCase(t, "in_lim", recoup.StateAwaitingCustomer, recoup.CategoryCustomerFix)
	tok := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
	t.Run("per token, whatever the address", func(t *testing.T) {
		for i, want := range []int{303, 303, 303, 429, 429} {
			if w := e.from("GET", "/u/"+tok, "198.51.100."+string(rune('1'+i))); w.Code != want {
				t.Fatalf("request %d: status %d, want %d", i+1, w.Code, want)
			}
		}
		*now = now.Add(10 * time.Second) // 6 a minute: one more
		if w := e.from("GET", "/u/"+tok, "198.51.100.9"); w.Code != http.StatusSeeOther {
			t.Fatalf("after 10 s: status %d", w.Code)
		}
		wantPage(t, e.from("GET", "/u/"+tok, "198.51.100.9"), http.StatusTooManyRequests, "try again in a minute")
	})
	t.Run("not per address behind a local proxy", func(t *testing.T) {
		for i := range 7 {
			other := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
			if w := e.from("GET", "/u/"+other, "127.0.0.1"); w.Code != http.StatusSeeOther {
				t.Fatalf("request %d through a local proxy: status %d", i+1, w.Code)
			}
		}
	})
	t.Run("per address, whatever the token", func(t *testing.T) {
		for i := range 7 {
			want := http.StatusSeeOther
			if i >= 5 {
				want = http.StatusTooManyRequests
			}
			other := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
			if w := e.from("GET", "/u/"+other, "192.0.2.1"); w.Code != want {
				t.Fatalf("request %d: status %d, want %d", i+1, w.Code, want)
			}
		}
	})
}

// A click is recorded once per token per interval; the portal session is reused while fresh,
// then a new one is made; link traffic has its own Stripe budget.
func TestLinkClicksSessionsAndStripeBudget(t *testing.T) {
	e, now := clockedLinkEnv(t, LinkLimits{ClickInterval: 30 * time.Minute, PortalReuse: 2 * time.Minute, StripeRate: 1, StripeBurst: 2})
	c := e.newCase(t, "in_click", recoup.StateAwaitingCustomer, recoup.CategoryCustomerFix)
	tok := e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour))
	open := func() {
		t.Helper()
		if w := e.from("GET", "/u/"+tok, "192.0.2.7"); w.Code != http.StatusSeeOther {
			t.Fatalf("status %d", w.Code)
		}
	}
	open()
	*now = now.Add(time.Minute)
	open()
	if n := strings.Count(e.timeline(t, c), "opened"); n != 1 || len(e.portal.customers) != 1 {
		t.Fatalf("two opens a minute apart: %d clicks recorded, %d portal sessions; want 1 and 1", n, len(e.portal.customers))
	}
	*now = now.Add(2 * time.Minute)
	open()
	if len(e.portal.customers) != 2 {
		t.Fatalf("%d portal sessions, want a new one once the first is stale", len(e.portal.customers))
	}
	*now = now.Add(30 * time.Minute)
	open()
	if n := strings.Count(e.timeline(t, c), "opened"); n != 2 {
		t.Fatalf("%d clicks recorded, want a second one after the interval", n)
	}

	// The budget: 2 at once, then 1 a second, across all links.
	*now = now.Add(time.Minute) // full again
	for i := range 3 {
		k := e.newCase(t, "in_budget"+string(rune('a'+i)), recoup.StateAwaitingCustomer, recoup.CategoryCustomerFix)
		w := e.from("GET", "/u/"+e.token(t, updatelink.Update, k.ID, testNow.Add(time.Hour)), "192.0.2.8")
		if want := []int{303, 303, 503}[i]; w.Code != want {
			t.Fatalf("case %d: status %d, want %d", i, w.Code, want)
		}
		if i == 2 {
			wantPage(t, w, http.StatusServiceUnavailable, "try again")
		}
	}
}

// Every customer link page sends a Content-Security-Policy that loads nothing and allows the
// page's own inline style only by its hash.
func TestLinkPagesSendCSP(t *testing.T) {
	e := newLinkEnv(t)
	c := e.newCase(t, "in_csp", recoup.StateRecovered, recoup.CategoryFunds)
	for _, path := range []string{
		"/u/" + e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour)),
		"/u/not-a-token",
		"/u/done",
		"/unsubscribe/" + e.token(t, updatelink.Unsubscribe, c.ID, testNow.Add(time.Hour)),
		"/n/not-a-token",
	} {
		w := e.do("GET", path, "")
		csp := w.Header().Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %s", path, csp, want)
			}
		}
		style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(w.Body.String())
		if style == nil {
			t.Fatalf("GET %s: no style in\n%s", path, w.Body.String())
		}
		h := sha256.Sum256([]byte(style[1]))
		if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(h[:])+"'") {
			t.Errorf("GET %s: the policy %q does not allow the page's style", path, csp)
		}
	}
}

// Behind a trusted proxy (RECOUP_TRUSTED_PROXIES), the per-address limit counts the client the
// proxy names: one client replaying many links through the proxy is held back, another client
// through the same proxy is not.
func TestLinkLimitsCountTheClientBehindATrustedProxy(t *testing.T) {
	e, _ := clockedLinkEnv(t, LinkLimits{PerToken: 60, TokenBurst: 10, PerAddress: 60, AddressBurst: 3})
	e.srv.links.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	c := e.newCase(t, "in_proxy", recoup.StateAwaitingCustomer, recoup.CategoryCustomerFix)
	through := func(client string) int {
		t.Helper()
		r := httptest.NewRequest("GET", "/u/"+e.token(t, updatelink.Update, c.ID, testNow.Add(time.Hour)), nil)
		r.RemoteAddr = "127.0.0.1:5555"
		r.Header.Set("X-Forwarded-For", "10.9.9.9, "+client) // the first entry is the client's own word
		w := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(w, r)
		return w.Code
	}
	for i, want := range []int{303, 303, 303, 429} {
		if got := through("198.51.100.7"); got != want {
			t.Fatalf("request %d of one client through the proxy: status %d, want %d", i+1, got, want)
		}
	}
	if got := through("203.0.113.1"); got != http.StatusSeeOther {
		t.Fatalf("another client through the same proxy: status %d, want 303", got)
	}
}
