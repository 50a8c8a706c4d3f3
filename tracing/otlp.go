package tracing

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/recoup-hq/recoup"
)

// otlpExporter sends spans to an OTLP/HTTP collector (POST {endpoint}/v1/traces, protobuf), as
// the specification's exporter does, configured by the same variables. It encodes the
// protobuf itself with protowire: the official exporter's generated types bring gRPC into the
// binary (3.6 MB, docs/benchmarks.md "Binary size") for a request this small.
type otlpExporter struct {
	url      string
	headers  map[string]string
	gzip     bool
	client   *http.Client
	attempts int
	backoff  time.Duration
}

// newOTLPExporter reads OTEL_EXPORTER_OTLP_[TRACES_]{ENDPOINT,HEADERS,TIMEOUT,COMPRESSION,
// CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY}, the traces-specific variable first.
func newOTLPExporter(getenv func(string) string) (*otlpExporter, error) {
	get := func(name string) (string, string) {
		if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_" + name)); v != "" {
			return v, "OTEL_EXPORTER_OTLP_TRACES_" + name
		}
		return strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_" + name)), "OTEL_EXPORTER_OTLP_" + name
	}
	e := &otlpExporter{headers: map[string]string{}, attempts: 4, backoff: time.Second}

	e.url = "http://localhost:4318/v1/traces"
	if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")); v != "" {
		e.url = v // as is, per the specification
	} else if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); v != "" {
		e.url = strings.TrimSuffix(v, "/") + "/v1/traces"
	}
	if u, err := url.Parse(e.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, recoup.Errorf(recoup.EINVALID, "OTLP traces endpoint %q is not an http(s) URL", e.url)
	}

	for _, name := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"} {
		for kv := range strings.SplitSeq(getenv(name), ",") {
			if strings.TrimSpace(kv) == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			key, err1 := url.QueryUnescape(strings.TrimSpace(k))
			val, err2 := url.QueryUnescape(strings.TrimSpace(v))
			if !ok || key == "" || err1 != nil || err2 != nil {
				// The value may be a credential: name the variable, not its content.
				return nil, recoup.Errorf(recoup.EINVALID, "%s: an entry is not key=value (URL-encoded)", name)
			}
			e.headers[key] = val
		}
	}

	timeout := 10 * time.Second
	if v, name := get("TIMEOUT"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return nil, recoup.Errorf(recoup.EINVALID, "%s=%q: want milliseconds, a positive integer", name, v)
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	switch v, name := get("COMPRESSION"); v {
	case "", "none":
	case "gzip":
		e.gzip = true
	default:
		return nil, recoup.Errorf(recoup.EINVALID, "%s=%q: want gzip or none", name, v)
	}

	tlsConf, err := tlsConfig(get)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	e.client = &http.Client{Timeout: timeout, Transport: tr}
	return e, nil
}

// tlsConfig reads the CA file and the client certificate and key, when set.
func tlsConfig(get func(string) (string, string)) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if file, name := get("CERTIFICATE"); file != "" {
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, recoup.Errorf(recoup.EINVALID, "%s: %v", name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, recoup.Errorf(recoup.EINVALID, "%s: no PEM certificate in %s", name, file)
		}
		conf.RootCAs = pool
	}
	certFile, certName := get("CLIENT_CERTIFICATE")
	keyFile, keyName := get("CLIENT_KEY")
	if (certFile == "") != (keyFile == "") {
		return nil, recoup.Errorf(recoup.EINVALID, "%s and %s go together", certName, keyName)
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, recoup.Errorf(recoup.EINVALID, "%s, %s: %v", certName, keyName, err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

// ExportSpans posts spans as one ExportTraceServiceRequest, retrying the answers the
// specification calls retryable (429, 502, 503, 504) and transport errors a few times.
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	body := encodeSpans(spans)
	if e.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
	}
	var err error
	for attempt := range e.attempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("tracing: export: %w (after %v)", ctx.Err(), err)
			case <-time.After(e.backoff << (attempt - 1)):
			}
		}
		var retry bool
		retry, err = e.post(ctx, body)
		if err == nil || !retry {
			return err
		}
	}
	return err
}

func (e *otlpExporter) post(ctx context.Context, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("tracing: export: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if e.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range e.headers {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("tracing: export: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		retry = true
	}
	return retry, fmt.Errorf("tracing: export: the collector answered %s", resp.Status)
}

// Shutdown has nothing to release: the SDK's batcher flushes before calling it.
func (e *otlpExporter) Shutdown(context.Context) error {
	e.client.CloseIdleConnections()
	return nil
}

// encodeSpans encodes an opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest:
// one ResourceSpans per resource, one ScopeSpans per instrumentation scope, in order.
func encodeSpans(spans []sdktrace.ReadOnlySpan) []byte {
	type group struct {
		resource []byte
		scopes   [][]byte // encoded ScopeSpans prefix (scope) per scope, in order
		keys     []string
		spans    map[string][]byte
	}
	var order []string
	groups := map[string]*group{}
	for _, s := range spans {
		res := s.Resource()
		rkey := res.Encoded(attribute.DefaultEncoder())
		g := groups[rkey]
		if g == nil {
			var rb []byte
			for _, kv := range res.Attributes() {
				rb = protowire.AppendTag(rb, 1, protowire.BytesType)
				rb = protowire.AppendBytes(rb, keyValue(kv))
			}
			g = &group{resource: rb, spans: map[string][]byte{}}
			groups[rkey] = g
			order = append(order, rkey)
		}
		sc := s.InstrumentationScope()
		skey := sc.Name + "\x00" + sc.Version
		if _, ok := g.spans[skey]; !ok {
			var scb []byte
			scb = appendString(scb, 1, sc.Name)
			scb = appendString(scb, 2, sc.Version)
			g.keys = append(g.keys, skey)
			g.scopes = append(g.scopes, scb)
			g.spans[skey] = nil
		}
		g.spans[skey] = protowire.AppendTag(g.spans[skey], 2, protowire.BytesType)
		g.spans[skey] = protowire.AppendBytes(g.spans[skey], span(s))
	}
	var req []byte
	for _, rkey := range order {
		g := groups[rkey]
		var rs []byte
		rs = protowire.AppendTag(rs, 1, protowire.BytesType)
		rs = protowire.AppendBytes(rs, g.resource)
		for i, skey := range g.keys {
			var ss []byte
			ss = protowire.AppendTag(ss, 1, protowire.BytesType)
			ss = protowire.AppendBytes(ss, g.scopes[i])
			ss = append(ss, g.spans[skey]...)
			rs = protowire.AppendTag(rs, 2, protowire.BytesType)
			rs = protowire.AppendBytes(rs, ss)
		}
		req = protowire.AppendTag(req, 1, protowire.BytesType)
		req = protowire.AppendBytes(req, rs)
	}
	return req
}

// span encodes an opentelemetry.proto.trace.v1.Span.
func span(s sdktrace.ReadOnlySpan) []byte {
	var b []byte
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	b = appendBytes(b, 1, tid[:])
	b = appendBytes(b, 2, sid[:])
	b = appendString(b, 3, sc.TraceState().String())
	if p := s.Parent(); p.IsValid() {
		psid := p.SpanID()
		b = appendBytes(b, 4, psid[:])
	}
	b = appendString(b, 5, s.Name())
	b = protowire.AppendTag(b, 6, protowire.VarintType) // SpanKind: the SDK's numbers are OTLP's
	b = protowire.AppendVarint(b, uint64(s.SpanKind()))
	b = protowire.AppendTag(b, 7, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, uint64(s.StartTime().UnixNano()))
	b = protowire.AppendTag(b, 8, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, uint64(s.EndTime().UnixNano()))
	for _, kv := range s.Attributes() {
		b = appendBytes(b, 9, keyValue(kv))
	}
	if n := s.DroppedAttributes(); n > 0 {
		b = protowire.AppendTag(b, 10, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(n))
	}
	for _, ev := range s.Events() {
		var eb []byte
		eb = protowire.AppendTag(eb, 1, protowire.Fixed64Type)
		eb = protowire.AppendFixed64(eb, uint64(ev.Time.UnixNano()))
		eb = appendString(eb, 2, ev.Name)
		for _, kv := range ev.Attributes {
			eb = appendBytes(eb, 3, keyValue(kv))
		}
		b = appendBytes(b, 11, eb)
	}
	var code uint64 // OTLP: 0 unset, 1 ok, 2 error
	switch s.Status().Code {
	case codes.Ok:
		code = 1
	case codes.Error:
		code = 2
	}
	if code != 0 {
		var st []byte
		st = appendString(st, 2, s.Status().Description)
		st = protowire.AppendTag(st, 3, protowire.VarintType)
		st = protowire.AppendVarint(st, code)
		b = appendBytes(b, 15, st)
	}
	return b
}

// keyValue encodes an opentelemetry.proto.common.v1.KeyValue.
func keyValue(kv attribute.KeyValue) []byte {
	var v []byte // AnyValue
	switch kv.Value.Type() {
	case attribute.BOOL:
		v = protowire.AppendTag(v, 2, protowire.VarintType)
		v = protowire.AppendVarint(v, protowire.EncodeBool(kv.Value.AsBool()))
	case attribute.INT64:
		v = protowire.AppendTag(v, 3, protowire.VarintType)
		v = protowire.AppendVarint(v, uint64(kv.Value.AsInt64()))
	case attribute.FLOAT64:
		v = protowire.AppendTag(v, 4, protowire.Fixed64Type)
		v = protowire.AppendFixed64(v, math.Float64bits(kv.Value.AsFloat64()))
	default: // strings, and slices as their JSON text
		v = protowire.AppendTag(v, 1, protowire.BytesType)
		v = protowire.AppendString(v, kv.Value.Emit())
	}
	var b []byte
	b = appendString(b, 1, string(kv.Key))
	return appendBytes(b, 2, v)
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}
