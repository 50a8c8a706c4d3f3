package tracing

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/recoup-hq/recoup"
)

// otlpCollector decodes what it receives with OpenTelemetry's own generated types, so that
// the hand-written encoding is checked against the protocol's definition. It answers each
// request with the next of statuses (200 when none is left).
type otlpCollector struct {
	mu       sync.Mutex
	statuses []int
	requests []*http.Request
	received []*coltracepb.ExportTraceServiceRequest
	err      error
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, r)
	if len(c.statuses) > 0 {
		status := c.statuses[0]
		c.statuses = c.statuses[1:]
		w.WriteHeader(status)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			c.err = err
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	req := &coltracepb.ExportTraceServiceRequest{}
	if err == nil {
		err = proto.Unmarshal(b, req)
	}
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		c.err = errors.Join(err, errors.New(r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	c.received = append(c.received, req)
	w.Header().Set("Content-Type", "application/x-protobuf")
}

// spansFor records a parent and a child span, the child failed with an event, and returns
// them as the SDK hands them to an exporter.
func spansFor(t *testing.T) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := &recorder{}
	res := resource.NewSchemaless(attribute.String("service.name", "recoup-test"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(rec), sdktrace.WithResource(res))
	tr := tp.Tracer(scope)
	ctx, parent := tr.Start(context.Background(), "webhook stripe", trace.WithSpanKind(trace.SpanKindServer))
	_, child := tr.Start(ctx, "job act", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		attribute.String("recoup.job.kind", "act"), attribute.Int("recoup.job.attempt", 2),
		attribute.Bool("b", true), attribute.Float64("f", 1.5)))
	child.AddEvent("retry", trace.WithAttributes(attribute.Int("n", 1)))
	child.SetStatus(codes.Error, "EUNAVAILABLE")
	child.End()
	parent.End()
	return rec.spans
}

type recorder struct{ spans []sdktrace.ReadOnlySpan }

func (r *recorder) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	r.spans = append(r.spans, s...)
	return nil
}
func (r *recorder) Shutdown(context.Context) error { return nil }

func TestOTLPExporterEncoding(t *testing.T) {
	for _, gz := range []bool{false, true} {
		c := &otlpCollector{}
		srv := httptest.NewServer(c)
		env := map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL + "/",
			"OTEL_EXPORTER_OTLP_HEADERS":  "authorization=Bearer%20abc,x-tenant=eu",
		}
		if gz {
			env["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"] = "gzip"
		}
		e, err := newOTLPExporter(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		spans := spansFor(t)
		if err := e.ExportSpans(t.Context(), spans); err != nil {
			t.Fatalf("gzip %v: %v", gz, err)
		}
		srv.Close()
		if c.err != nil || len(c.received) != 1 {
			t.Fatalf("gzip %v: collector error %v, %d requests", gz, c.err, len(c.received))
		}
		if h := c.requests[0].Header; h.Get("Authorization") != "Bearer abc" || h.Get("X-Tenant") != "eu" {
			t.Fatalf("headers %v", h)
		}
		rs := c.received[0].GetResourceSpans()
		if len(rs) != 1 || len(rs[0].GetScopeSpans()) != 1 || rs[0].GetScopeSpans()[0].GetScope().GetName() != scope {
			t.Fatalf("resource spans %v", rs)
		}
		if a := rs[0].GetResource().GetAttributes(); len(a) != 1 || a[0].GetKey() != "service.name" || a[0].GetValue().GetStringValue() != "recoup-test" {
			t.Fatalf("resource %v", a)
		}
		got := rs[0].GetScopeSpans()[0].GetSpans()
		if len(got) != 2 {
			t.Fatalf("%d spans", len(got))
		}
		child, parent := got[0], got[1]
		want := spans[0]
		tid, sid := want.SpanContext().TraceID(), want.SpanContext().SpanID()
		psid := spans[1].SpanContext().SpanID()
		if child.GetName() != "job act" || child.GetKind() != tracepb.Span_SPAN_KIND_CONSUMER ||
			string(child.GetTraceId()) != string(tid[:]) || string(child.GetSpanId()) != string(sid[:]) ||
			string(child.GetParentSpanId()) != string(psid[:]) || string(parent.GetSpanId()) != string(psid[:]) ||
			len(parent.GetParentSpanId()) != 0 || parent.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
			t.Fatalf("spans %v", got)
		}
		if child.GetStartTimeUnixNano() != uint64(want.StartTime().UnixNano()) || child.GetEndTimeUnixNano() != uint64(want.EndTime().UnixNano()) {
			t.Fatalf("times %d %d", child.GetStartTimeUnixNano(), child.GetEndTimeUnixNano())
		}
		if st := child.GetStatus(); st.GetCode() != tracepb.Status_STATUS_CODE_ERROR || st.GetMessage() != "EUNAVAILABLE" || parent.GetStatus() != nil {
			t.Fatalf("status %v, parent's %v", st, parent.GetStatus())
		}
		attrs := map[string]string{}
		for _, kv := range child.GetAttributes() {
			attrs[kv.GetKey()] = kv.GetValue().String()
		}
		if len(attrs) != 4 || !strings.Contains(attrs["recoup.job.kind"], `string_value:"act"`) || !strings.Contains(attrs["recoup.job.attempt"], "int_value:2") ||
			!strings.Contains(attrs["b"], "bool_value:true") || !strings.Contains(attrs["f"], "double_value:1.5") {
			t.Fatalf("attributes %v", attrs)
		}
		if ev := child.GetEvents(); len(ev) != 1 || ev[0].GetName() != "retry" || ev[0].GetAttributes()[0].GetValue().GetIntValue() != 1 {
			t.Fatalf("events %v", ev)
		}
	}
}

func TestOTLPExporterRetries(t *testing.T) {
	c := &otlpCollector{statuses: []int{http.StatusServiceUnavailable, http.StatusTooManyRequests}}
	srv := httptest.NewServer(c)
	defer srv.Close()
	e, err := newOTLPExporter(func(k string) string {
		return map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": srv.URL + "/v1/traces"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	e.backoff = time.Millisecond
	if err := e.ExportSpans(t.Context(), spansFor(t)); err != nil || len(c.received) != 1 || len(c.requests) != 3 {
		t.Fatalf("error %v, %d received of %d requests", err, len(c.received), len(c.requests))
	}
	// A 400 is not retried.
	c.statuses = []int{http.StatusBadRequest}
	err = e.ExportSpans(t.Context(), spansFor(t))
	if err == nil || !strings.Contains(err.Error(), "400") || len(c.requests) != 4 {
		t.Fatalf("error %v after %d requests", err, len(c.requests))
	}
}

func TestOTLPExporterConfigErrors(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":    {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector:4318"},
		"OTEL_EXPORTER_OTLP_HEADERS":            {"OTEL_EXPORTER_OTLP_HEADERS": "secret-token-without-key"},
		"OTEL_EXPORTER_OTLP_TIMEOUT":            {"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"},
		"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "zstd"},
		"OTEL_EXPORTER_OTLP_CERTIFICATE":        {"OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem"},
		"OTEL_EXPORTER_OTLP_CLIENT_KEY":         {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": "/tmp/c.pem"},
	} {
		_, err := newOTLPExporter(func(k string) string { return env[k] })
		if recoup.ErrorCode(err) != recoup.EINVALID || !strings.Contains(err.Error(), name) && !strings.Contains(err.Error(), "endpoint") {
			t.Errorf("%s: error %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret-token") {
			t.Errorf("%s: the error quotes the header's value: %v", name, err)
		}
	}
}
