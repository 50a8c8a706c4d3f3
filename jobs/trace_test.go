package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/tracing"
)

// A job inserted under a span records its traceparent in River's metadata, and its run
// continues that trace in a "job <kind>" span that is the handler's context; a job inserted
// with no span starts its own trace. Not parallel: it installs the global tracer provider.
func TestJobsCarryTraceContext(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	db := sqliteDatabase(t)
	q := migrated(t, db, testConfig(t, &testClock{}))
	var mu sync.Mutex
	inHandler := map[string]trace.SpanContext{}
	h := &recorder{hook: func(ctx context.Context, j recoup.Job, _ int) error {
		mu.Lock()
		defer mu.Unlock()
		inHandler[j.EventID] = trace.SpanContextFromContext(ctx)
		return nil
	}}
	events := start(t, q, h)

	ctx, webhook := tracing.Start(t.Context(), "webhook stripe")
	if err := db.inTx(ctx, true, func(tx *sql.Tx) error { return q.InsertTx(ctx, tx, []recoup.Job{event("evt_traced")}) }); err != nil {
		t.Fatal(err)
	}
	webhook.End()
	waitFor(t, events, event("evt_traced"), Completed)
	insert(t, db, q, true, event("evt_untraced")) // after: waitFor drops the events it skips
	waitFor(t, events, event("evt_untraced"), Completed)

	var meta struct {
		Traceparent string `json:"traceparent"`
	}
	row := rows(t, q, event("evt_traced"))[0]
	if err := json.Unmarshal(row.Metadata, &meta); err != nil || meta.Traceparent != tracing.Inject(ctx) {
		t.Fatalf("metadata %s (%v), want the webhook's traceparent %s", row.Metadata, err, tracing.Inject(ctx))
	}
	meta.Traceparent = ""
	if err := json.Unmarshal(rows(t, q, event("evt_untraced"))[0].Metadata, &meta); err != nil || meta.Traceparent != "" {
		t.Fatalf("untraced job's metadata has traceparent %q (%v)", meta.Traceparent, err)
	}

	jobSpans := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		if s.Name() == "job "+string(recoup.JobProcessEvent) {
			jobSpans[s.SpanContext().SpanID()] = s
		}
	}
	mu.Lock()
	defer mu.Unlock()
	traced, ok := jobSpans[inHandler["evt_traced"].SpanID()]
	if !ok || len(jobSpans) != 2 {
		t.Fatalf("%d job spans; the handler's context is not one of them", len(jobSpans))
	}
	if traced.Parent().SpanID() != webhook.SpanContext().SpanID() || traced.SpanContext().TraceID() != webhook.SpanContext().TraceID() || !traced.Parent().IsRemote() {
		t.Fatalf("traced job's parent %v, want the webhook's span %v", traced.Parent(), webhook.SpanContext())
	}
	untraced, ok := jobSpans[inHandler["evt_untraced"].SpanID()]
	if !ok || untraced.Parent().IsValid() || untraced.SpanContext().TraceID() == webhook.SpanContext().TraceID() {
		t.Fatalf("untraced job's span: found %v, parent %v", ok, untraced)
	}
}
