package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
)

func TestHealthz(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Ready = func(context.Context) error { return errors.New("database down") }
	})
	// Alive even when not ready: a restart would not bring the database back.
	rec := e.get("/healthz", "")
	if rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", rec.Code, rec.Body)
	}
}

func TestReadyz(t *testing.T) {
	for _, tc := range []struct {
		name        string
		err         error
		wantMessage string
		hidden      string // must not reach the response
	}{
		{name: "ready"},
		{
			name:        "domain error",
			err:         recoup.Errorf(recoup.EUNAVAILABLE, "store migrations pending: at 3, want 5"),
			wantMessage: "not ready: store migrations pending: at 3, want 5",
		},
		{
			name:        "wrapped domain error",
			err:         fmt.Errorf("job queue: %w", recoup.Errorf(recoup.EUNAVAILABLE, "river migrations pending")),
			wantMessage: "not ready: river migrations pending",
		},
		{
			name:        "bare driver error",
			err:         errors.New("failed to connect to `user=recoup password=hunter2 host=db.internal`"),
			wantMessage: "not ready: dependency check failed",
			hidden:      "hunter2",
		},
		{
			name:        "timeout",
			err:         fmt.Errorf("ping: %w", context.DeadlineExceeded),
			wantMessage: "not ready: readiness check timed out",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotDeadline bool
			e := newEnv(t, func(c *Config) {
				c.Ready = func(ctx context.Context) error {
					_, gotDeadline = ctx.Deadline()
					return tc.err
				}
			})
			rec := e.get("/readyz", "")
			if !gotDeadline {
				t.Error("Ready was called without a deadline")
			}
			if tc.err == nil {
				if rec.Code != http.StatusOK || rec.Body.String() != "ready\n" {
					t.Errorf("GET /readyz = %d %q, want 200 ready", rec.Code, rec.Body)
				}
				return
			}
			body := wantError(t, rec, http.StatusServiceUnavailable, recoup.EUNAVAILABLE)
			if body.Error.Message != tc.wantMessage {
				t.Errorf("message = %q, want %q", body.Error.Message, tc.wantMessage)
			}
			if tc.hidden != "" && strings.Contains(rec.Body.String(), tc.hidden) {
				t.Errorf("the response leaks %q: %s", tc.hidden, rec.Body)
			}
		})
	}
}

func TestReadyzDefaultsToStore(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Ready = nil })
	if rec := e.get("/readyz", ""); rec.Code != http.StatusOK {
		t.Errorf("store ready: status = %d, want 200", rec.Code)
	}
	e.store.readyErr = recoup.Errorf(recoup.EUNAVAILABLE, "database unreachable")
	wantError(t, e.get("/readyz", ""), http.StatusServiceUnavailable, recoup.EUNAVAILABLE)
}
