package jobs

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/recoup-hq/recoup/tracing"
)

// metaTraceparent is the key of the W3C traceparent in a job's River metadata.
const metaTraceparent = "traceparent"

// traceMiddleware carries traces across the queue: a job inserted under a span (a webhook's,
// or the job that planned it) records the span's traceparent in its metadata, and the worker
// continues that trace in a "job <kind>" span. With tracing off there is no span to record and
// the metadata is left as it is.
type traceMiddleware struct {
	river.MiddlewareDefaults
}

var (
	_ rivertype.JobInsertMiddleware = (*traceMiddleware)(nil)
	_ rivertype.WorkerMiddleware    = (*traceMiddleware)(nil)
)

func (*traceMiddleware) InsertMany(ctx context.Context, params []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	if tp := tracing.Inject(ctx); tp != "" {
		for _, p := range params {
			meta := map[string]any{}
			if len(p.Metadata) > 0 {
				if err := json.Unmarshal(p.Metadata, &meta); err != nil {
					continue // not ours to repair: the job goes in without the trace
				}
			}
			if _, ok := meta[metaTraceparent]; ok {
				continue // the job names the trace it was enqueued under (recoup.Job.Trace)
			}
			meta[metaTraceparent] = tp
			b, err := json.Marshal(meta)
			if err != nil {
				continue
			}
			p.Metadata = b
		}
	}
	return doInner(ctx)
}

func (*traceMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	var meta struct {
		Traceparent string `json:"traceparent"`
	}
	if len(job.Metadata) > 0 {
		_ = json.Unmarshal(job.Metadata, &meta) // no traceparent: the job starts its own trace
	}
	ctx, span := tracing.Start(tracing.Extract(ctx, meta.Traceparent), "job "+job.Kind,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "river"),
			attribute.String("recoup.job.kind", job.Kind),
			attribute.String("messaging.message.id", strconv.FormatInt(job.ID, 10)),
			attribute.Int("recoup.job.attempt", job.Attempt),
		))
	defer span.End()
	err := doInner(ctx)
	tracing.Fail(span, err)
	return err
}
