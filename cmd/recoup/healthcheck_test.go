package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	port := addr[strings.LastIndex(addr, ":"):]

	for _, listen := range []string{addr, "0.0.0.0" + port} {
		if out, _, err := runExit(t, "healthcheck", "--listen", listen); err != nil || !strings.Contains(out, "ready") {
			t.Errorf("listen %s: %v %q", listen, err, out)
		}
	}
	status.Store(http.StatusServiceUnavailable)
	if _, _, err := runExit(t, "healthcheck", "--listen", addr); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a 503 passed the health check: %v", err)
	}
	srv.Close()
	if _, _, err := runExit(t, "healthcheck", "--listen", addr); err == nil {
		t.Errorf("no server passed the health check")
	}
}
