package stripeapi

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/recoup-hq/recoup/tracing"
)

// tracedTransport opens a client span for every HTTP request to Stripe, retries included,
// named for the method and the path with its object ids replaced ("stripe POST
// /v1/invoices/{id}/pay"), so that spans group by endpoint. The query string, which can hold
// a search for an email address, and the body are never recorded; nor is any header but
// Stripe's Request-Id of the answer. With tracing off the span is the no-op one.
type tracedTransport struct {
	base http.RoundTripper // nil: http.DefaultTransport
}

func (t *tracedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	route := pathTemplate(req.URL.Path)
	ctx, span := tracing.Start(req.Context(), "stripe "+req.Method+" "+route,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", req.Method),
			attribute.String("url.template", route),
			attribute.String("server.address", req.URL.Hostname()),
		))
	defer span.End()
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		span.SetStatus(codes.Error, "transport error")
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if id := resp.Header.Get("Request-Id"); id != "" {
		span.SetAttributes(attribute.String("stripe.request_id", id))
	}
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
	}
	return resp, nil
}

// pathTemplate replaces each segment of a Stripe API path that is an object id (a lowercase
// prefix, an underscore and more: in_1Nx..., cus_..., pm_card_visa) by {id}.
func pathTemplate(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if isObjectID(s) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

func isObjectID(s string) bool {
	prefix, rest, ok := strings.Cut(s, "_")
	if !ok || prefix == "" || rest == "" {
		return false
	}
	for _, r := range prefix {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	// A few API words hold an underscore too (payment_methods, billing_portal): they have
	// no digit and no uppercase letter, where ids always have one.
	for _, r := range rest {
		if (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') {
			return true
		}
	}
	return false
}
