package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		status  int
		code    string
		message string
	}{
		{"not found", recoup.Errorf(recoup.ENOTFOUND, "case 9 not found"), 404, recoup.ENOTFOUND, "case 9 not found"},
		{"invalid", recoup.Errorf(recoup.EINVALID, "limit: too big"), 400, recoup.EINVALID, "limit: too big"},
		{"conflict", recoup.Errorf(recoup.ECONFLICT, "stale version"), 409, recoup.ECONFLICT, "stale version"},
		{"unauthorized", recoup.Errorf(recoup.EUNAUTHORIZED, "bad token"), 401, recoup.EUNAUTHORIZED, "bad token"},
		{"unavailable", recoup.Errorf(recoup.EUNAVAILABLE, "database down"), 503, recoup.EUNAVAILABLE, "database down"},
		{"wrapped", fmt.Errorf("get case 9: %w", recoup.Errorf(recoup.ENOTFOUND, "case 9 not found")), 404, recoup.ENOTFOUND, "case 9 not found"},
		{"coded internal", recoup.Errorf(recoup.EINTERNAL, "nil map in planner"), 500, recoup.EINTERNAL, internalMessage},
		{"uncoded", errors.New("pq: relation \"cases\" does not exist"), 500, recoup.EINTERNAL, internalMessage},
		{"http", &httpError{status: 413, code: "too_large", message: "body exceeds 10 bytes"}, 413, "too_large", "body exceeds 10 bytes"},
		{"unknown code", recoup.Errorf("teapot", "short and stout"), 500, recoup.EINTERNAL, internalMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, message := describe(tc.err)
			if status != tc.status || code != tc.code || message != tc.message {
				t.Errorf("describe = %d %q %q, want %d %q %q", status, code, message, tc.status, tc.code, tc.message)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	e := newEnv(t)
	req := httptest.NewRequest(http.MethodGet, "/api/v1/cases", nil)

	t.Run("internal error is logged, not shown", func(t *testing.T) {
		rec := httptest.NewRecorder()
		e.srv.writeError(rec, req, fmt.Errorf("list cases: %w", errors.New("disk I/O error at /var/lib/recoup")))
		body := wantError(t, rec, http.StatusInternalServerError, recoup.EINTERNAL)
		if body.Error.Message != internalMessage || strings.Contains(rec.Body.String(), "/var/lib") {
			t.Errorf("body = %s", rec.Body)
		}
		if !strings.Contains(e.logs.String(), "disk I/O error at /var/lib/recoup") {
			t.Errorf("the real error is not logged:\n%s", e.logs)
		}
	})
	t.Run("cause of a coded error is logged", func(t *testing.T) {
		rec := httptest.NewRecorder()
		e.srv.writeError(rec, req, &recoup.Error{Code: recoup.EUNAVAILABLE, Message: "try later", Err: errors.New("pool exhausted")})
		wantError(t, rec, http.StatusServiceUnavailable, recoup.EUNAVAILABLE)
		if !strings.Contains(e.logs.String(), `cause="pool exhausted"`) {
			t.Errorf("the cause is not logged:\n%s", e.logs)
		}
	})
	t.Run("401 challenges", func(t *testing.T) {
		rec := httptest.NewRecorder()
		e.srv.writeError(rec, req, recoup.Errorf(recoup.EUNAUTHORIZED, "no"))
		if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("WWW-Authenticate = %q", got)
		}
	})
}

func TestHandlerEncodingFailure(t *testing.T) {
	// A value JSON cannot encode becomes a clean 500: nothing was written before the failure.
	e := newEnv(t)
	h := e.srv.handle(func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, math.NaN())
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	wantError(t, rec, http.StatusInternalServerError, recoup.EINTERNAL)
}
