package web

import (
	"log/slog"
	"net/http"
	"time"
)

// securityHeaders sets the headers every response carries. The API adds Cache-Control itself.
// With hsts, browsers are told to use https only for a year (the service is reached over https).
func securityHeaders(next http.Handler, hsts bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// logRequests logs each finished request with its method, route pattern, status and duration.
// It logs the pattern rather than the path and never the query or the body: those may carry
// ids an operator typed or a customer's data.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // wall time for a duration, not the domain clock
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		// The muxes set r.Pattern on this same request as they route it, the innermost last.
		pattern := r.Pattern
		if pattern == "" {
			pattern = "unmatched"
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK // the handler wrote nothing
		}
		s.logger.Log(r.Context(), logLevel(pattern, status), "http request",
			"method", r.Method, "pattern", pattern, "status", status,
			"duration", time.Since(start))
	})
}

// logLevel is the level at which a finished request is logged: probes and scrapes are
// frequent and uninteresting unless they fail.
func logLevel(pattern string, status int) slog.Level {
	if status < http.StatusBadRequest && (pattern == "GET /healthz" || pattern == "GET /readyz" || pattern == "GET /metrics") {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer (flush, deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
