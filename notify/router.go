// Package notify holds recoup's message channels behind one recoup.Notifier: Router dispatches
// each message on its Channel to the adapter registered for it (notify/email, notify/webhook,
// and whatever comes next, such as SMS), so a channel is added by registering an adapter,
// without touching the engine.
package notify

import (
	"context"
	"maps"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/tracing"
)

// Router is a recoup.Notifier that hands each message to the Notifier of its channel.
type Router struct {
	channels map[string]recoup.Notifier
}

// NewRouter returns a router over channels (channel name -> adapter). Nil adapters are left
// out, so optional channels can be passed unconfigured.
func NewRouter(channels map[string]recoup.Notifier) *Router {
	r := &Router{channels: map[string]recoup.Notifier{}}
	for name, n := range channels {
		if n != nil {
			r.channels[name] = n
		}
	}
	return r
}

// Channels lists the configured channels, sorted.
func (r *Router) Channels() []string { return slices.Sorted(maps.Keys(r.channels)) }

// Send delivers m over its channel. A message for a channel with no adapter wraps
// recoup.ErrNoChannel (with EINVALID: retrying cannot help), which the engine records as
// skipped: not a bounce, and not retried for days.
func (r *Router) Send(ctx context.Context, m recoup.Message) error {
	_, err := r.SendReceipt(ctx, m)
	return err
}

// SendReceipt delivers m over its channel, as Send does, and returns the channel's receipt
// when the channel gives one (SMS: the provider's id and the cost); other channels give an
// empty receipt.
//
// Each send is traced ("notify <channel>") with the channel, template, tone and step, never
// the address, subject or text.
func (r *Router) SendReceipt(ctx context.Context, m recoup.Message) (recoup.Receipt, error) {
	ctx, span := tracing.Start(ctx, "notify "+m.Channel, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("recoup.message.channel", m.Channel),
			attribute.String("recoup.message.template", m.Template),
			attribute.String("recoup.message.tone", m.Tone),
			attribute.Int("recoup.message.step", m.Step),
			attribute.Bool("recoup.message.generated", m.Generated),
		))
	defer span.End()
	n, ok := r.channels[m.Channel]
	if !ok {
		err := recoup.Errorf(recoup.EINVALID, "notify: %q channel: %w (configured: %s)", m.Channel, recoup.ErrNoChannel, strings.Join(r.Channels(), ", "))
		tracing.Fail(span, err)
		return recoup.Receipt{}, err
	}
	var rc recoup.Receipt
	var err error
	if rn, ok := n.(recoup.ReceiptNotifier); ok {
		rc, err = rn.SendReceipt(ctx, m)
	} else {
		err = n.Send(ctx, m)
	}
	tracing.Fail(span, err)
	return rc, err
}
