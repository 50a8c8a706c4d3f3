package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Issue 19 item 7: /metrics answers only with its token, or only on a separate listener.
func TestMetricsAccess(t *testing.T) {
	const token = "metrics-token-0123456789"
	t.Run("behind a token", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.MetricsToken = token })
		for _, tc := range []struct {
			token string
			want  int
		}{{"", http.StatusUnauthorized}, {"wrong-token-0123456789", http.StatusUnauthorized}, {testToken, http.StatusUnauthorized}, {token, http.StatusOK}} {
			if rec := e.get("/metrics", tc.token); rec.Code != tc.want {
				t.Errorf("GET /metrics with token %q: %d, want %d", tc.token, rec.Code, tc.want)
			}
		}
	})
	t.Run("on a separate listener", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.MetricsElsewhere = true })
		if rec := e.get("/metrics", ""); rec.Code != http.StatusNotFound {
			t.Errorf("GET /metrics on the public handler: %d, want 404", rec.Code)
		}
		rec := httptest.NewRecorder()
		e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != http.StatusOK {
			t.Errorf("GET /metrics on the metrics handler: %d, want 200", rec.Code)
		}
	})
}
