package dashboard_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
)

// loginFrom posts the login form straight to the dashboard's handler as if from remote (a
// host:port), with the X-Forwarded-For header xff when it is not empty, and returns the status.
func (e *env) loginFrom(remote, xff, email, pw string) int {
	form := url.Values{"csrf": {"t"}, "email": {email}, "password": {pw}}
	r := httptest.NewRequest("POST", "/ui/login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(&http.Cookie{Name: "recoup_login", Value: "t"})
	r.RemoteAddr = remote
	if xff != "" {
		r.Header.Set("X-Forwarded-For", xff)
	}
	w := httptest.NewRecorder()
	e.dash.Handler().ServeHTTP(w, r)
	return w.Code
}

// heldChecks replaces the dashboard's password check by one that reports each check on entered
// and then waits for release to be closed; it counts the checks.
type heldChecks struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	n       int
}

func holdChecks(e *env) *heldChecks {
	h := &heldChecks{entered: make(chan struct{}, 1000), release: make(chan struct{})}
	dashboard.SetPasswordCheck(e.dash, func(hash, pw string) bool {
		h.mu.Lock()
		h.n++
		h.mu.Unlock()
		h.entered <- struct{}{}
		<-h.release
		return dashboard.CheckPassword(hash, pw)
	})
	return h
}

func (h *heldChecks) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// Issue 19 item 1: each password check holds 19 MiB, so only a few may run at once; a login
// that finds none free is refused (503) instead of waiting without bound.
func TestConcurrentPasswordChecksAreBounded(t *testing.T) {
	e := newEnv(t, func(c *dashboard.Config) { c.MaxConcurrentLogins = 2 })
	h := holdChecks(e)
	statuses := make(chan int, 3)
	for i := range 3 {
		go func() {
			statuses <- e.loginFrom("10.0.0."+string(rune('1'+i))+":4000", "", "nobody@example.com", "wrong password")
		}()
	}
	for range 2 {
		<-h.entered
	}
	select {
	case <-h.entered:
		t.Fatal("a third password check ran while two were running: want at most 2")
	case status := <-statuses:
		if status != http.StatusServiceUnavailable {
			t.Fatalf("the login finding no free check: want 503, got %d", status)
		}
	}
	close(h.release)
	for range 2 {
		if status := <-statuses; status != http.StatusUnauthorized {
			t.Fatalf("the checked logins: want 401, got %d", status)
		}
	}
}

// Issue 19 item 2: concurrent guesses are each reserved before any is hashed, so the limits
// hold however many arrive at once.
func TestConcurrentGuessesAreLimited(t *testing.T) {
	for _, tc := range []struct {
		name               string
		guesses, addresses int
		wantChecks         int
	}{
		{"20 from one address", 20, 1, 5},
		{"100 from 5 addresses", 100, 5, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *dashboard.Config) { c.MaxConcurrentLogins = 200 })
			h := holdChecks(e)
			statuses := make(chan int, tc.guesses)
			for i := range tc.guesses {
				go func() {
					statuses <- e.loginFrom("10.0.1."+string(rune('1'+i%tc.addresses))+":4000", "", "admin@example.com", "wrong password")
				}()
			}
			// Every guess is either in a check or answered; then the checks may finish.
			refused := 0
			for entered := 0; entered+refused < tc.guesses; {
				select {
				case <-h.entered:
					entered++
				case s := <-statuses:
					if s != http.StatusTooManyRequests {
						t.Fatalf("a guess answered before any check finished: want 429, got %d", s)
					}
					refused++
				}
			}
			close(h.release)
			for range tc.guesses - refused {
				if s := <-statuses; s != http.StatusUnauthorized {
					t.Fatalf("a checked guess: want 401, got %d", s)
				}
			}
			if got := h.count(); got != tc.wantChecks {
				t.Fatalf("password checks performed: want %d, got %d", tc.wantChecks, got)
			}
		})
	}
}

// Issue 19 item 3: failures lock the account only for the address they come from, for twice
// as long each time.
func TestLockoutIsPerAddressWithBackoff(t *testing.T) {
	e := newEnv(t)
	attacker, admin := "198.51.100.7:5000", "203.0.113.1:6000"
	fail := func() {
		t.Helper()
		for i := range 5 {
			if s := e.loginFrom(attacker, "", "admin@example.com", "wrong password"); s != http.StatusUnauthorized {
				t.Fatalf("failure %d: want 401, got %d", i+1, s)
			}
		}
	}
	fail()
	if s := e.loginFrom(attacker, "", "admin@example.com", password); s != http.StatusTooManyRequests {
		t.Fatalf("the attacker's address after 5 failures: want 429, got %d", s)
	}
	if s := e.loginFrom(admin, "", "admin@example.com", password); s != http.StatusSeeOther {
		t.Fatalf("the admin from their own address: want 303, got %d", s)
	}
	e.advance(15 * time.Minute)
	fail()
	e.advance(15 * time.Minute)
	if s := e.loginFrom(attacker, "", "admin@example.com", "wrong password"); s != http.StatusTooManyRequests {
		t.Fatalf("15 minutes into the second lock: want 429, got %d", s)
	}
	e.advance(15 * time.Minute)
	if s := e.loginFrom(attacker, "", "admin@example.com", "wrong password"); s != http.StatusUnauthorized {
		t.Fatalf("30 minutes after the second lock: want 401, got %d", s)
	}
}

// Issue 19 item 3: behind a trusted proxy the client named by X-Forwarded-For is counted; from
// any other peer the header is ignored.
func TestTrustedProxyClientAddress(t *testing.T) {
	e := newEnv(t, func(c *dashboard.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	proxy := "127.0.0.1:40000"
	for range 5 {
		// The client forges a first entry; the proxy appends the address it saw.
		e.loginFrom(proxy, "192.0.2.99, 198.51.100.7", "admin@example.com", "wrong password")
	}
	if s := e.loginFrom(proxy, "198.51.100.7", "admin@example.com", password); s != http.StatusTooManyRequests {
		t.Fatalf("the guessing client through the proxy: want 429, got %d", s)
	}
	if s := e.loginFrom(proxy, "203.0.113.1", "admin@example.com", password); s != http.StatusSeeOther {
		t.Fatalf("another client through the same proxy: want 303, got %d", s)
	}
	// Not from the proxy: the header is the client's own word and is ignored.
	for i := range 5 {
		e.loginFrom("192.0.2.50:1000", "203.0.113."+string(rune('1'+i)), "operator@example.com", "wrong password")
	}
	if s := e.loginFrom("192.0.2.50:1000", "203.0.113.200", "operator@example.com", password); s != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For from an untrusted peer: want 429, got %d", s)
	}
}

// Issue 19 item 5: a session unused for the idle timeout ends; used, it lasts until the
// session's lifetime; "sign out everywhere" ends the user's other sessions too.
func TestSessionIdleTimeoutAndSignOutEverywhere(t *testing.T) {
	e := newEnv(t, func(c *dashboard.Config) { c.IdleTimeout = 30 * time.Minute; c.SessionTTL = 2 * time.Hour })
	signIn := func() *client {
		t.Helper()
		c := e.anonymous()
		if status, _ := c.login("viewer@example.com", password); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		return c
	}
	c := signIn()
	for range 4 { // used every 25 minutes: still signed in after 100 minutes
		e.advance(25 * time.Minute)
		if status, _, _ := c.get("/ui/cases"); status != http.StatusOK {
			t.Fatalf("a session in use: %d, want 200", status)
		}
	}
	e.advance(25 * time.Minute) // past the session's lifetime of 2 hours
	if status, loc, _ := c.get("/ui/cases"); status != http.StatusSeeOther || loc != "/ui/login" {
		t.Fatalf("after the session's lifetime: %d %q, want the login page", status, loc)
	}
	idle := signIn()
	e.advance(31 * time.Minute)
	if status, loc, _ := idle.get("/ui/cases"); status != http.StatusSeeOther || loc != "/ui/login" {
		t.Fatalf("after 31 idle minutes: %d %q, want the login page", status, loc)
	}

	laptop, phone := e.as(recoup.RoleOperator), e.as(recoup.RoleOperator)
	if status, loc, _ := phone.post("/ui/logout-everywhere", nil); status != http.StatusSeeOther || loc != "/ui/login" {
		t.Fatalf("sign out everywhere: %d %q", status, loc)
	}
	if status, loc, _ := laptop.get("/ui/cases"); status != http.StatusSeeOther || loc != "/ui/login" {
		t.Fatalf("the other browser after sign out everywhere: %d %q, want the login page", status, loc)
	}
}
