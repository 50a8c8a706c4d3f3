package tracing

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/recoup-hq/recoup"
)

func TestParseEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		enabled bool
		errVar  string // the variable the error names; "" for no error
	}{
		{name: "nothing set", env: nil},
		{name: "service name alone", env: map[string]string{"OTEL_SERVICE_NAME": "billing"}},
		{name: "endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, enabled: true},
		{name: "traces endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, enabled: true},
		{name: "exporter otlp", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, enabled: true},
		{name: "exporter none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}},
		{name: "sdk disabled", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}},
		{name: "sdk disabled false", env: map[string]string{"OTEL_SDK_DISABLED": "false", "OTEL_TRACES_EXPORTER": "otlp"}, enabled: true},
		{name: "http/protobuf", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, enabled: true},
		{name: "grpc", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, errVar: "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{name: "traces protocol wins", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, enabled: true},
		{name: "console", env: map[string]string{"OTEL_TRACES_EXPORTER": "console"}, errVar: "OTEL_TRACES_EXPORTER"},
		{name: "grpc while off", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseEnv(func(k string) string { return tc.env[k] })
			if tc.errVar != "" {
				if recoup.ErrorCode(err) != recoup.EINVALID || !strings.Contains(err.Error(), tc.errVar) {
					t.Fatalf("error %v, want EINVALID naming %s", err, tc.errVar)
				}
				return
			}
			if err != nil || cfg.Enabled != tc.enabled {
				t.Fatalf("enabled %v, error %v; want %v", cfg.Enabled, err, tc.enabled)
			}
		})
	}
}

// collector is an OTLP/HTTP endpoint on 127.0.0.1 that counts the trace exports it gets.
type collector struct {
	mu      sync.Mutex
	exports int
	body    string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" {
		c.exports++
		c.body += string(b)
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// runSpans sets tracing up from the environment, records a span and shuts down, which
// flushes whatever was batched.
func runSpans(t *testing.T) (enabled bool, recording bool) {
	t.Helper()
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	shutdown, enabled, err := Setup(t.Context(), "v1.2.3", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := Start(context.Background(), "webhook stripe")
	recording = span.IsRecording()
	if tp := Inject(ctx); (tp != "") != recording {
		t.Errorf("traceparent %q while recording is %v", tp, recording)
	}
	span.End()
	if err := shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	return enabled, recording
}

func TestSetupOffByDefault(t *testing.T) {
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	// The collector is there, but nothing asks for traces: the no-op provider stays.
	t.Setenv("OTEL_SERVICE_NAME", "recoup-test")
	enabled, recording := runSpans(t)
	if enabled || recording || c.exports != 0 {
		t.Fatalf("enabled %v, recording %v, %d exports; want nothing", enabled, recording, c.exports)
	}
	// Asked for, then disabled.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SDK_DISABLED", "true")
	enabled, recording = runSpans(t)
	if enabled || recording || c.exports != 0 {
		t.Fatalf("OTEL_SDK_DISABLED: enabled %v, recording %v, %d exports; want nothing", enabled, recording, c.exports)
	}
}

func TestSetupExportsOverOTLPHTTP(t *testing.T) {
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "recoup-test")
	enabled, recording := runSpans(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !enabled || !recording || c.exports != 1 {
		t.Fatalf("enabled %v, recording %v, %d exports; want one", enabled, recording, c.exports)
	}
	for _, want := range []string{"webhook stripe", "recoup-test", "v1.2.3"} {
		if !strings.Contains(c.body, want) {
			t.Errorf("the export lacks %q", want)
		}
	}
}

func TestInjectExtract(t *testing.T) {
	if tp := Inject(context.Background()); tp != "" {
		t.Fatalf("traceparent %q without a span", tp)
	}
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	ctx := Extract(context.Background(), tp)
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsRemote() || sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || sc.SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("span context %+v", sc)
	}
	if got := Inject(ctx); got != tp {
		t.Fatalf("re-injected %q, want %q", got, tp)
	}
	for _, bad := range []string{"", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"} {
		if sc := trace.SpanContextFromContext(Extract(context.Background(), bad)); sc.IsValid() {
			t.Errorf("%q gave a valid span context", bad)
		}
	}
}
