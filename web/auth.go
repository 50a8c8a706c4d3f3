package web

import (
	"crypto/sha256"
	"crypto/subtle"
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

// authorized reports whether r carries "Authorization: Bearer <admin token>". Without a
// configured token nobody is authorized.
func (s *Server) authorized(r *http.Request) bool {
	if s.tokenHash == nil {
		return false
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], s.tokenHash) == 1
}
