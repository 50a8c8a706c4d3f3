// Package engine is the recovery engine: it turns observations of Stripe (events, invoice
// reads, charge outcomes) into case state, and runs the planned actions. It is the only place
// that combines the decline classifier and the policy, and it reaches the world only through the
// ports in the root package. Every entry point takes `now`; the engine never reads a clock.
package engine

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// Metrics receives the engine's counters. metrics.Metrics implements it.
type Metrics interface {
	EventProcessed(eventType, result string)
	AttemptFinished(outcome string)
}

// EventSource lists Stripe's events created since a time, of the given types, for
// reconciliation. stripeapi.Client implements it.
type EventSource interface {
	Events(ctx context.Context, since time.Time, types []string) iter.Seq2[recoup.Event, error]
}

// Config holds the engine's collaborators.
type Config struct {
	Store   recoup.Store
	Gateway recoup.Gateway
	// Notifier delivers campaign messages; without one, messages are recorded as skipped.
	Notifier recoup.Notifier
	// Renderer writes campaign messages; without one, a plain built-in wording is used (the
	// simulator runs without).
	Renderer Renderer
	// Customers, optional, is read before each message for the customer's name and preferred
	// languages, which the Renderer gets in its Draft.
	Customers Customers
	// Lifecycle, optional, receives case lifecycle events (opened, recovered, final action),
	// delivered at least once by a job enqueued in the transaction that made the change.
	Lifecycle recoup.EventSink
	Policy    *policy.Policy
	Events    EventSource // optional: enables Reconcile
	Metrics   Metrics     // optional
	Logger    *slog.Logger
	// ReconcileWindow is how far back the first reconciliation looks (Stripe keeps 30 days).
	ReconcileWindow time.Duration

	// Personalizer, optional (off by default), rewrites messages with a language model when
	// the Renderer is also a Rewriter.
	Personalizer Personalizer
	// Confirmation, optional, is the channel of a "payment received" message sent once when a
	// case is recovered (template payment_received); "" sends none.
	Confirmation string
	// Notices configures the messages outside any case (card expiring, invoice reminders).
	Notices NoticeConfig
}

// Engine runs recovery cases. It is safe for concurrent use, and several engines (in several
// processes) may share one store: each case is changed only inside a store transaction that
// holds its row.
type Engine struct {
	store     recoup.Store
	gw        recoup.Gateway
	notifier  recoup.Notifier
	renderer  Renderer
	customers Customers
	sink      recoup.EventSink
	policy    atomic.Pointer[policy.Policy]
	events    EventSource
	metrics   Metrics
	log       *slog.Logger
	window    time.Duration
	learner   learner

	personalizer Personalizer // rewrites messages with a language model; nil: off
	confirmation string       // the channel of the "payment received" message; "": none
	notices      NoticeConfig
}

// New returns an engine. Store, Gateway and Policy are required.
func New(cfg Config) *Engine {
	e := &Engine{store: cfg.Store, gw: cfg.Gateway, notifier: cfg.Notifier, renderer: cfg.Renderer, customers: cfg.Customers, sink: cfg.Lifecycle, events: cfg.Events, metrics: cfg.Metrics, log: cfg.Logger, window: cfg.ReconcileWindow}
	if e.metrics == nil {
		e.metrics = nopMetrics{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.window <= 0 {
		e.window = 72 * time.Hour
	}
	e.personalizer, e.confirmation, e.notices = cfg.Personalizer, cfg.Confirmation, cfg.Notices
	e.policy.Store(cfg.Policy)
	return e
}

// Policy returns the policy in force.
func (e *Engine) Policy() *policy.Policy { return e.policy.Load() }

// SetPolicy replaces the policy for the decisions made from now on.
func (e *Engine) SetPolicy(p *policy.Policy) { e.policy.Store(p) }

type nopMetrics struct{}

func (nopMetrics) EventProcessed(string, string) {}
func (nopMetrics) AttemptFinished(string)        {}

// note appends an entry to the case's timeline.
func note(tx recoup.Tx, c *recoup.Case, now time.Time, kind recoup.EntryKind, summary string, detail any) error {
	e := &recoup.TimelineEntry{CaseID: c.ID, At: now, Kind: kind, Summary: summary}
	if detail != nil {
		if err := e.SetDetail(detail); err != nil {
			return fmt.Errorf("encode timeline detail: %w", err)
		}
	}
	if err := tx.AppendTimeline(e); err != nil {
		return fmt.Errorf("case %d: append timeline: %w", c.ID, err)
	}
	return nil
}

// transition moves the case and records the move on its timeline.
func transition(tx recoup.Tx, c *recoup.Case, to recoup.CaseState, now time.Time, why string) error {
	if c.State == to {
		return nil
	}
	from := c.State
	if err := c.Transition(to, now); err != nil {
		return err
	}
	return note(tx, c, now, recoup.EntryState, string(from)+" -> "+string(to)+": "+why, stateDetail{from, to})
}

// stateDetail is a transition's detail: {"from":…,"to":…}, as encoding/json writes a map of the
// two.
type stateDetail struct{ from, to recoup.CaseState }

// AppendJSON implements recoup.JSONAppender.
func (d stateDetail) AppendJSON(b []byte) []byte {
	b = append(b, `{"from":`...)
	b = recoup.AppendJSONString(b, string(d.from))
	b = append(b, `,"to":`...)
	b = recoup.AppendJSONString(b, string(d.to))
	return append(b, '}')
}
