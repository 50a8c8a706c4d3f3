package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/recoup-hq/recoup"
)

// readyTimeout bounds a readiness check: a probe that hangs is as bad as one that fails.
const readyTimeout = 3 * time.Second

// healthz answers while the process can serve HTTP at all. It checks nothing else, so that a
// database outage makes the process unready, not restarted.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
	return nil
}

// readyz answers 200 when the service can do its work (database reachable, migrations applied)
// and 503 with the reason otherwise, so a load balancer stops sending webhooks to it.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		// Whatever its code, a failed check means unavailable. The reason shown is the
		// domain message if there is one; a bare driver error (which may name hosts or
		// users) stays in the log.
		return &recoup.Error{Code: recoup.EUNAVAILABLE, Message: "not ready: " + reason(err), Err: err}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ready\n"))
	return nil
}

// reason is publicMessage for a readiness failure, with a plainer fallback.
func reason(err error) string {
	if m := publicMessage(err); m != internalMessage {
		return m
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "readiness check timed out"
	}
	return "dependency check failed"
}
