package main

import (
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// traceLinkSecret is the link secret of TestE2ETraceWebhookToRetry, looked for in the spans.
const traceLinkSecret = "an-e2e-trace-link-secret-of-32-chars!"

// One trace runs from the webhook of a failed payment through the jobs it starts, their
// Stripe calls and the email, to the retry that recovers the invoice: the trace context is
// carried across the job queue. No span holds a secret, the customer's address or the
// message's words.
func TestE2ETraceWebhookToRetry(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	mb := &smtpCapture{}
	srv := smtp.NewServer(mb)
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	w := newWorld(t)
	w.policyYAML = e2ePolicy + `
campaign:
  hour: 0
  quiet_hours: [0, 0]
  steps:
    - {day: 0, template: update_card, tone: helpful, categories: [funds]}
`
	p := w.start(sqliteURL(t), func(c *ServeCmd) {
		c.CommsFlags = CommsFlags{
			SMTPURL: "smtp://" + ln.Addr().String(), SMTPInsecure: true, EmailFrom: "Acme Billing <billing@acme.example>",
			PublicURL: "http://127.0.0.1:1", LinkSecret: traceLinkSecret, BrandName: "Acme",
		}
	})
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "ada@example.com", AmountDue: 1999, Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	w.fake.ScriptPay(r.InvoiceID, stripefake.Succeed())
	v := p.waitState(r.InvoiceID, recoup.StateScheduled)
	p.waitFor("the day-0 email", func() bool { return mb.count() == 1 })
	w.clock.advanceTo(v.Case.NextAction.At)
	p.waitState(r.InvoiceID, recoup.StateRecovered)

	const payName = "stripe POST /v1/invoices/{id}/pay"
	var spans []sdktrace.ReadOnlySpan
	var names []string
	// The jobs' spans end after the state they record is visible: wait for them.
	p.waitFor("the retry's span in the webhook's trace", func() bool {
		spans = rec.Ended()
		i := slices.IndexFunc(spans, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == payName })
		if i < 0 {
			return false
		}
		names = nil
		for _, s := range spans {
			if s.SpanContext().TraceID() == spans[i].SpanContext().TraceID() {
				names = append(names, s.Name())
			}
		}
		return slices.Contains(names, "webhook stripe") && slices.Contains(names, "job act") && slices.Contains(names, "notify email")
	}, func() string { return strings.Join(names, ", ") })

	pay := spans[slices.IndexFunc(spans, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == payName })]
	var trace_ []sdktrace.ReadOnlySpan
	ids := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		if s.SpanContext().TraceID() == pay.SpanContext().TraceID() {
			trace_ = append(trace_, s)
			ids[s.SpanContext().SpanID()] = s
		}
	}
	// Connected: one root, the webhook of the failed payment; every other span's parent is
	// in the trace.
	var roots []string
	for _, s := range trace_ {
		if !s.Parent().IsValid() {
			roots = append(roots, s.Name())
			continue
		}
		if _, ok := ids[s.Parent().SpanID()]; !ok {
			t.Errorf("span %q: parent %s not in the trace", s.Name(), s.Parent().SpanID())
		}
	}
	if len(roots) != 1 || roots[0] != "webhook stripe" {
		t.Fatalf("roots %v, want the webhook's span alone; spans %v", roots, names)
	}
	for _, want := range []string{"job process_event", "job act", "job message", "notify email", payName} {
		if !slices.Contains(names, want) {
			t.Errorf("no %q span in the trace: %v", want, names)
		}
	}
	// The retry's chain: pay <- job act <- ... <- webhook.
	var chain []string
	for s, ok := pay, true; ok; s, ok = ids[s.Parent().SpanID()] {
		chain = append(chain, s.Name())
	}
	if len(chain) < 3 || chain[1] != "job act" || chain[len(chain)-1] != "webhook stripe" {
		t.Errorf("the retry's ancestry %v, want pay <- job act <- ... <- webhook stripe", chain)
	}

	// Nothing secret or personal in any span recorded, in this trace or another.
	forbidden := []string{"ada@", "@acme.example", "sk_test_e2e", e2eSecret, traceLinkSecret, e2eToken, "Hello", "Acme"}
	for _, s := range spans {
		texts := []string{s.Name(), s.Status().Description}
		for _, a := range s.Attributes() {
			texts = append(texts, string(a.Key)+"="+a.Value.Emit())
		}
		for _, ev := range s.Events() {
			texts = append(texts, ev.Name)
			for _, a := range ev.Attributes {
				texts = append(texts, a.Value.Emit())
			}
		}
		for _, text := range texts {
			for _, f := range forbidden {
				if strings.Contains(text, f) {
					t.Errorf("span %q holds %q: %s", s.Name(), f, text)
				}
			}
		}
	}
}
