package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/recoup-hq/recoup"
)

// authenticate lets a request through to next only with the admin bearer token. Every API
// response, refusals included, is marked uncacheable: it may hold customer data.
func (s *Server) authenticate(next http.Handler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		if !s.authorized(r) {
			return recoup.Errorf(recoup.EUNAUTHORIZED, "a valid bearer token is required")
		}
		next.ServeHTTP(w, r)
		return nil
	}
}

// authorized reports whether r carries "Authorization: Bearer <token>" with the admin token
// or, when the server has an access store, the API token of an enabled user. Every API route
// only reads, so any user's token may read; without a configured admin token or access store
// nobody is authorized.
func (s *Server) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	token = strings.TrimSpace(token)
	got := sha256.Sum256([]byte(token))
	if s.tokenHash != nil && subtle.ConstantTimeCompare(got[:], s.tokenHash) == 1 {
		return true
	}
	if s.access == nil || token == "" {
		return false
	}
	// The store keeps the hex SHA-256 of each user token; the lookup is by that hash, so the
	// token itself is never compared or stored.
	t, err := s.access.APITokenByHash(r.Context(), hex.EncodeToString(got[:]))
	if err != nil {
		if !recoup.IsNotFound(err) {
			s.logger.ErrorContext(r.Context(), "look up API token", "error", err.Error())
		}
		return false
	}
	if !t.Valid(s.now()) {
		return false
	}
	u, err := s.access.User(r.Context(), t.UserID)
	return err == nil && !u.Disabled && u.Role.Allows(recoup.RoleViewer)
}

// MetricsHandler serves the Prometheus exposition, behind Config.MetricsToken when it is set;
// nil when the server has no metrics. It is Handler's /metrics, or a separate listener's.
func (s *Server) MetricsHandler() http.Handler {
	if s.metrics == nil {
		return nil
	}
	next := s.metrics.Handler()
	if s.metricsToken == nil {
		return next
	}
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], s.metricsToken) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return recoup.Errorf(recoup.EUNAUTHORIZED, "the metrics token is required")
		}
		next.ServeHTTP(w, r)
		return nil
	})
}
