package web

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
)

// wildcard matches a {name} segment of a route pattern.
var wildcard = regexp.MustCompile(`\{[^}]+\}`)

// apiRequests returns one request per registered API route, from the server's own list, so
// that a route added later is covered without editing this test.
func apiRequests(t *testing.T, s *Server) map[string]func() *http.Request {
	t.Helper()
	if len(s.apiRoutes) == 0 {
		t.Fatal("no API routes registered")
	}
	reqs := map[string]func() *http.Request{}
	for _, pattern := range s.apiRoutes {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok || !strings.HasPrefix(path, "/api/") {
			t.Fatalf("API route %q: want \"METHOD /api/...\"", pattern)
		}
		path = wildcard.ReplaceAllString(path, "1")
		reqs[pattern] = func() *http.Request { return httptest.NewRequest(method, path, nil) }
	}
	return reqs
}

func TestAPIRequiresToken(t *testing.T) {
	e := newEnv(t)
	e.store.addCases(1)
	creds := map[string]string{
		"no header":      "",
		"wrong token":    "Bearer not-the-token",
		"token prefix":   "Bearer " + testToken[:len(testToken)-1],
		"token suffix":   "Bearer " + testToken + "x",
		"empty bearer":   "Bearer ",
		"basic scheme":   "Basic " + testToken,
		"bare token":     testToken,
		"scheme in body": "Bearer" + testToken,
	}
	for pattern, newReq := range apiRequests(t, e.srv) {
		for name, auth := range creds {
			t.Run(pattern+"/"+name, func(t *testing.T) {
				req := newReq()
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				rec := e.do(req)
				wantError(t, rec, http.StatusUnauthorized, recoup.EUNAUTHORIZED)
				if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer", got)
				}
			})
		}
	}
	if len(e.store.filters) != 0 {
		t.Errorf("the store was read by unauthenticated requests: %+v", e.store.filters)
	}
}

func TestAPIAcceptsToken(t *testing.T) {
	e := newEnv(t)
	e.store.addCases(1)
	for pattern, newReq := range apiRequests(t, e.srv) {
		for name, scheme := range map[string]string{"canonical": "Bearer ", "lower case": "bearer "} {
			t.Run(pattern+"/"+name, func(t *testing.T) {
				req := newReq()
				req.Header.Set("Authorization", scheme+testToken)
				if rec := e.do(req); rec.Code != http.StatusOK {
					t.Errorf("status = %d, want 200; body: %s", rec.Code, rec.Body)
				}
			})
		}
	}
}

func TestAPIClosedWithoutAdminToken(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AdminToken = "" })
	for pattern, newReq := range apiRequests(t, e.srv) {
		for _, auth := range []string{"", "Bearer ", "Bearer  "} {
			req := newReq()
			req.Header.Set("Authorization", auth)
			if rec := e.do(req); rec.Code != http.StatusUnauthorized {
				t.Errorf("%s with %q: status = %d, want 401", pattern, auth, rec.Code)
			}
		}
	}
}

func TestUnknownAPIPathsNeedTheTokenToo(t *testing.T) {
	// Authentication comes before routing under /api/, so unknown paths reveal nothing.
	e := newEnv(t)
	for _, path := range []string{"/api/", "/api/v1/", "/api/v2/cases", "/api/v1/admin"} {
		if rec := e.get(path, ""); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without a token = %d, want 401", path, rec.Code)
		}
		if rec := e.get(path, testToken); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s with the token = %d, want 404", path, rec.Code)
		}
	}
}
