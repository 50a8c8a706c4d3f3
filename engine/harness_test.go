package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sqlite"
)

// harness runs the engine on a real SQLite store with a virtual clock and an in-test job queue:
// jobs committed by the store are kept and run when the clock passes their time.
type harness struct {
	t     *testing.T
	ctx   context.Context
	now   time.Time
	store recoup.Store
	eng   *engine.Engine
	gw    *fakeGateway
	notes *fakeNotifier
	mu    sync.Mutex
	jobs  []recoup.Job
}

func newHarness(t *testing.T, policyYAML string) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "recoup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: ctx, now: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)}
	h.store = sqlite.NewStore(db, func(_ context.Context, _ *sql.Tx, jobs []recoup.Job) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.jobs = append(h.jobs, jobs...)
		return nil
	})
	h.gw = newFakeGateway(h)
	// The tests' campaigns name templates of their own, as a template directory would define.
	p, err := policy.ParseWith("test.yaml", []byte(policyYAML), policy.Options{Templates: append(policy.BuiltinTemplates(), "fix_card", "reminder", "win_back")})
	if err != nil {
		t.Fatal(err)
	}
	h.notes = &fakeNotifier{}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: p})
	return h
}

// ingest delivers a Stripe event as the webhook would.
func (h *harness) ingest(id, typ, object, customer string, changed ...string) bool {
	h.t.Helper()
	ev := &recoup.Event{ID: id, Type: typ, ObjectID: object, CustomerID: customer, Changed: changed, Created: h.now, Origin: recoup.OriginWebhook, Payload: []byte(`{}`)}
	ok, err := h.eng.Ingest(h.ctx, h.now, ev)
	if err != nil {
		h.t.Fatal(err)
	}
	return ok
}

// runDue runs every job due at the current time, including jobs those jobs enqueue.
func (h *harness) runDue() {
	h.t.Helper()
	for i := 0; i < 1000; i++ {
		j, ok := h.take(func(j recoup.Job) bool { return !j.RunAt.After(h.now) })
		if !ok {
			return
		}
		if err := h.run(j); err != nil {
			if later, ok := errors.AsType[*recoup.RunLater](err); ok {
				j.RunAt = later.At // as River snoozes it
				h.mu.Lock()
				h.jobs = append(h.jobs, j)
				h.mu.Unlock()
				continue
			}
			h.t.Fatalf("job %+v: %v", j, err)
		}
	}
	h.t.Fatal("jobs keep enqueuing jobs")
}

// advance moves the clock to each pending job's time in turn, until d has passed.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	end := h.now.Add(d)
	for {
		h.runDue()
		next, ok := h.nextAt()
		if !ok || next.After(end) {
			h.now = end
			h.runDue()
			return
		}
		h.now = next
	}
}

func (h *harness) nextAt() (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.jobs) == 0 {
		return time.Time{}, false
	}
	at := h.jobs[0].RunAt
	for _, j := range h.jobs {
		if j.RunAt.Before(at) {
			at = j.RunAt
		}
	}
	return later(at, h.now), true
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (h *harness) take(pred func(recoup.Job) bool) (recoup.Job, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sort.SliceStable(h.jobs, func(a, b int) bool { return h.jobs[a].RunAt.Before(h.jobs[b].RunAt) })
	for i, j := range h.jobs {
		if pred(j) {
			h.jobs = slices.Delete(h.jobs, i, i+1)
			return j, true
		}
	}
	return recoup.Job{}, false
}

func (h *harness) run(j recoup.Job) error {
	switch j.Kind {
	case recoup.JobProcessEvent:
		return h.eng.ProcessEvent(h.ctx, h.now, j.EventID)
	case recoup.JobAct:
		return h.eng.Act(h.ctx, h.now, j.CaseID, j.Seq)
	case recoup.JobMessage:
		return h.eng.Message(h.ctx, h.now, j.CaseID, j.Seq)
	case recoup.JobLifecycle:
		return h.eng.Lifecycle(h.ctx, h.now, j.CaseID, j.Event)
	case recoup.JobInvoiceReminder:
		return h.eng.InvoiceReminder(h.ctx, h.now, j.InvoiceID, j.Seq)
	case recoup.JobCardSwitch:
		return h.eng.SwitchCard(h.ctx, h.now, j.CaseID)
	case recoup.JobCardExpiring:
		return h.eng.CardExpiringNotices(h.ctx, h.now, j.CustomerID)
	case recoup.JobTakeover:
		return h.eng.TakeOver(h.ctx, h.now, j.CaseID)
	}
	return fmt.Errorf("unknown job kind %q", j.Kind)
}

// pending returns the jobs not yet run.
func (h *harness) pending() []recoup.Job {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.jobs)
}

func (h *harness) caseOf(invoiceID string) recoup.Case {
	h.t.Helper()
	page, err := h.store.Cases(h.ctx, recoup.CaseFilter{Limit: 500})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range page.Cases {
		if c.InvoiceID == invoiceID {
			return c
		}
	}
	h.t.Fatalf("no case for invoice %s", invoiceID)
	return recoup.Case{}
}

func (h *harness) attempts(c recoup.Case, src recoup.AttemptSource) []recoup.Attempt {
	h.t.Helper()
	all, err := h.store.Attempts(h.ctx, c.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []recoup.Attempt
	for _, a := range all {
		if a.Source == src {
			out = append(out, a)
		}
	}
	return out
}

func (h *harness) timeline(c recoup.Case) []recoup.TimelineEntry {
	h.t.Helper()
	tl, err := h.store.Timeline(h.ctx, c.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return tl
}

func (h *harness) wantState(invoiceID string, want recoup.CaseState) recoup.Case {
	h.t.Helper()
	c := h.caseOf(invoiceID)
	if c.State != want {
		h.t.Fatalf("case of %s is %s, want %s; timeline:\n%s", invoiceID, c.State, want, dump(h.timeline(c)))
	}
	return c
}

func dump(tl []recoup.TimelineEntry) string {
	var s string
	for _, e := range tl {
		s += fmt.Sprintf("  %s %-8s %s\n", e.At.Format(time.DateTime), e.Kind, e.Summary)
	}
	return s
}

// fakeNotifier records the messages it is given; errs, if set, answers the next sends in turn.
type fakeNotifier struct {
	sent []recoup.Message
	errs []error
}

func (n *fakeNotifier) Send(_ context.Context, m recoup.Message) error {
	if len(n.errs) > 0 {
		err := n.errs[0]
		n.errs = n.errs[1:]
		if err != nil {
			return err
		}
	}
	n.sent = append(n.sent, m)
	return nil
}

// notifierFunc adapts a function to recoup.Notifier.
type notifierFunc func(recoup.Message) error

func (f notifierFunc) Send(_ context.Context, m recoup.Message) error { return f(m) }

// withNotifier returns an engine like the harness's with another notifier (nil: none).
func (h *harness) withNotifier(send func(recoup.Message) error) *engine.Engine {
	var n recoup.Notifier
	if send != nil {
		n = notifierFunc(send)
	}
	return engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: n, Policy: h.eng.Policy()})
}
