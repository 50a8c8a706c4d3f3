// Package tracing holds recoup's OpenTelemetry traces: Setup configures the exporter from the
// standard OTEL_* variables (off unless they ask for it), Start opens a span on the global
// tracer provider, and Inject/Extract carry a span's context across the job queue as a W3C
// traceparent.
//
// With tracing off the global provider is OpenTelemetry's no-op: Start allocates no span and
// nothing is exported. Span names and attributes never carry a secret, an email address, a
// card detail or a message's text: the callers pass identifiers of Stripe objects, kinds and
// statuses only.
package tracing

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/recoup-hq/recoup"
)

// scope names the instrumentation in every span.
const scope = "github.com/recoup-hq/recoup"

// Start opens a span named name on the global tracer provider; end it with span.End.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return otel.GetTracerProvider().Tracer(scope).Start(ctx, name, opts...)
}

// Fail marks span as failed with err's code, not its text (which may quote customer data).
func Fail(span trace.Span, err error) {
	if err == nil {
		return
	}
	span.SetStatus(codes.Error, string(recoup.ErrorCode(err)))
}

// propagator is W3C Trace Context, the traceparent header's format.
var propagator = propagation.TraceContext{}

// Inject returns the W3C traceparent of ctx's span, or "" when ctx has none (tracing off).
func Inject(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagator.Inject(ctx, c)
	return c["traceparent"]
}

// Extract returns ctx carrying the remote span context of traceparent, to continue its
// trace; an empty or malformed traceparent leaves ctx as it is.
func Extract(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return propagator.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}

// Config is what the OTEL_* variables ask for.
type Config struct {
	// Enabled is false unless the variables name an exporter: OTEL_TRACES_EXPORTER=otlp, or
	// an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
	// with OTEL_TRACES_EXPORTER unset. OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none
	// turn it off whatever else is set.
	Enabled bool
}

// ParseEnv reads the variables that decide whether traces are exported. The exporter reads
// the rest (endpoint, headers, timeout, compression, certificates: otlp.go), the SDK the
// sampler (OTEL_TRACES_SAMPLER) and the batch settings (OTEL_BSP_*), the resource
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. A value recoup cannot serve is an EINVALID
// error naming the variable.
func ParseEnv(getenv func(string) string) (Config, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return Config{}, nil
	}
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
	var cfg Config
	exporters := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))
	if exporters == "" {
		cfg.Enabled = endpoint
	} else {
		for e := range strings.SplitSeq(exporters, ",") {
			switch strings.ToLower(strings.TrimSpace(e)) {
			case "none":
				return Config{}, nil
			case "otlp":
				cfg.Enabled = true
			default:
				return Config{}, recoup.Errorf(recoup.EINVALID,
					"OTEL_TRACES_EXPORTER=%q: recoup exports traces with otlp (OTLP over HTTP) or none", exporters)
			}
		}
	}
	if !cfg.Enabled {
		return cfg, nil
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		if v != "http/protobuf" {
			return Config{}, recoup.Errorf(recoup.EINVALID,
				"%s=%q: recoup exports OTLP over HTTP with protobuf (http/protobuf); point it at the collector's HTTP port (4318)", name, v)
		}
		break // the traces-specific variable wins over the general one
	}
	return cfg, nil
}

// Setup reads the OTEL_* variables of the environment and, when they enable traces, installs a
// global tracer provider that batches spans to the OTLP/HTTP exporter (otlp.go). version is recoup's,
// recorded as service.version. The returned shutdown flushes the spans still batched; it is
// never nil. Export errors go to logger. With traces off Setup installs nothing, so the no-op
// provider stays.
func Setup(ctx context.Context, version string, logger *slog.Logger) (shutdown func(context.Context) error, enabled bool, err error) {
	noop := func(context.Context) error { return nil }
	cfg, err := ParseEnv(os.Getenv)
	if err != nil || !cfg.Enabled {
		return noop, false, err
	}
	exp, err := newOTLPExporter(os.Getenv)
	if err != nil {
		return noop, false, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "recoup"), attribute.String("service.version", version)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the above
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return noop, false, recoup.Errorf(recoup.EINVALID, "tracing: OTEL_RESOURCE_ATTRIBUTES: %v", err)
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("traces not exported", "error", err.Error())
	}))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, true, nil
}
