package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// An OTEL_* value recoup cannot serve stops serve at start, naming the variable, before it
// listens or opens the database.
func TestServeRefusesUnsupportedTraceExporter(t *testing.T) {
	for name, value := range map[string]string{
		"OTEL_TRACES_EXPORTER":        "console",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("STRIPE_SECRET_KEY", "sk_test_trace")
			t.Setenv("STRIPE_WEBHOOK_SECRET", "whsec_trace")
			t.Setenv("RECOUP_LISTEN", "127.0.0.1:0")
			t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
			t.Setenv(name, value)
			db := filepath.Join(t.TempDir(), "r.db")
			// Cancelled: were the variable not checked, serve would stop at once without error.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err := run(ctx, []string{"--database-url", db, "serve"}, &bytes.Buffer{}, func(int) {})
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("err %v, want one naming %s", err, name)
			}
		})
	}
}
