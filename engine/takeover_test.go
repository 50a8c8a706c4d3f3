package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// Taking invoices over from Stripe, against the stateful fake Stripe through the real client.

// actPolicy acts, with a campaign step on day 1 and a first retry on day 3.
const actPolicy = `
timezone: UTC
retry: {schedule_days: [0, 3, 7], hour: 10, max_attempts: 3, min_gap: 1h}
customer_wait: 10d
final_action: cancel_subscription
campaign:
  hour: 9
  steps:
    - {day: 1, template: reminder, tone: gentle}
`

// takeoverGateway is the real client whose SetAutoAdvance can be made to fail after Stripe
// answered (afterSet), as a crash between the call and the commit would.
type takeoverGateway struct {
	*stripeapi.Client
	afterSet func() error
}

func (g *takeoverGateway) SetAutoAdvance(ctx context.Context, id string, on bool, key string) error {
	if err := g.Client.SetAutoAdvance(ctx, id, on, key); err != nil {
		return err
	}
	if g.afterSet != nil {
		return g.afterSet()
	}
	return nil
}

type takeoverWorld struct {
	*harness
	fake *stripefake.Server
	gw   *takeoverGateway
	r    stripefake.Renewal
}

// newTakeoverWorld fails a renewal of 20.00 USD whose card keeps declining, on an engine with
// the policy, and delivers its webhook; no job has run.
func newTakeoverWorld(t *testing.T, policyYAML string) *takeoverWorld {
	t.Helper()
	h := newHarness(t, policyYAML)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return h.now }}).Start()
	t.Cleanup(fake.Close)
	client, err := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_takeover", APIBase: fake.URL(), MaxNetworkRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	gw := &takeoverGateway{Client: client}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: gw, Notifier: h.notes, Policy: h.eng.Policy()})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds"),
		Behaviour: stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))})
	if err != nil {
		t.Fatal(err)
	}
	h.ingest("evt_failed", "invoice.payment_failed", r.InvoiceID, r.CustomerID)
	return &takeoverWorld{harness: h, fake: fake, gw: gw, r: r}
}

// takeovers returns the requests that changed the invoice's auto_advance (POST
// /v1/invoices/{id}), and the index in the log of the first request that charged or messaged
// anything else (-1: none).
func (w *takeoverWorld) takeovers() (updates []stripefake.Request, firstOther int) {
	firstOther = -1
	for i, q := range w.fake.Requests() {
		switch {
		case q.Method != "POST":
		case q.Path == "/v1/invoices/"+w.r.InvoiceID:
			updates = append(updates, q)
		case firstOther < 0:
			firstOther = i
		}
	}
	return updates, firstOther
}

func (w *takeoverWorld) takeoverIndex() int {
	for i, q := range w.fake.Requests() {
		if q.Method == "POST" && q.Path == "/v1/invoices/"+w.r.InvoiceID {
			return i
		}
	}
	return -1
}

func countSummary(tl []recoup.TimelineEntry, prefix string) int {
	n := 0
	for _, e := range tl {
		if strings.HasPrefix(e.Summary, prefix) {
			n++
		}
	}
	return n
}

// In act mode the case's first job takes the invoice over: auto_advance off on that invoice
// before any charge or message, the time on the case and the words on its timeline; Stripe's
// own retry is refused from then on, and recoup's charges go on.
func TestTakeoverTurnsStripesCollectionOffFirst(t *testing.T) {
	w := newTakeoverWorld(t, actPolicy)
	w.runDue()
	c := w.wantState(w.r.InvoiceID, recoup.StateScheduled)
	if c.TakenOverAt.IsZero() {
		t.Fatal("the case was not taken over")
	}
	if snap, _ := w.fake.Invoice(w.r.InvoiceID); snap.AutoAdvance {
		t.Fatal("the invoice still has auto_advance on")
	}
	if _, err := w.fake.AutoRetry(w.r.InvoiceID); err == nil {
		t.Error("Stripe retried an invoice recoup took over")
	}
	w.advance(8 * 24 * time.Hour)
	updates, first := w.takeovers()
	if len(updates) != 1 || updates[0].IdempotencyKey != c.TakeoverKey() {
		t.Fatalf("auto_advance requests %+v, want one with key %s", updates, c.TakeoverKey())
	}
	if first < 0 || w.takeoverIndex() > first {
		t.Errorf("the takeover (request %d) did not come before recoup's first action (request %d)", w.takeoverIndex(), first)
	}
	c = w.caseOf(w.r.InvoiceID)
	if c.Attempts == 0 || len(w.notes.sent) == 0 {
		t.Errorf("recoup charged %d times and sent %d messages after the takeover", c.Attempts, len(w.notes.sent))
	}
	if n := countSummary(w.timeline(c), "Took this invoice over from Stripe"); n != 1 {
		t.Errorf("%d takeover entries, want 1:\n%s", n, dump(w.timeline(c)))
	}
}

// A crash between Stripe's answer and the commit: the job runs again with the same key,
// Stripe answers from its idempotency layer, and the case is taken over once.
func TestTakeoverRerunAfterACrash(t *testing.T) {
	w := newTakeoverWorld(t, actPolicy)
	crash := errors.New("process died after Stripe answered")
	w.gw.afterSet = func() error { w.gw.afterSet = nil; return crash }
	j, ok := w.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if !ok {
		t.Fatal("no event job")
	}
	if err := w.run(j); err != nil {
		t.Fatal(err)
	}
	j, ok = w.take(func(j recoup.Job) bool { return j.Kind == recoup.JobTakeover })
	if !ok {
		t.Fatalf("no takeover job among %+v", w.pending())
	}
	if err := w.run(j); !errors.Is(err, crash) {
		t.Fatalf("first run: %v, want the crash", err)
	}
	if c := w.caseOf(w.r.InvoiceID); !c.TakenOverAt.IsZero() {
		t.Fatal("a takeover whose run crashed was recorded")
	}
	w.now = w.now.Add(time.Minute)
	if err := w.run(j); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	c := w.caseOf(w.r.InvoiceID)
	if !c.TakenOverAt.Equal(w.now) {
		t.Errorf("taken over at %v, want the re-run's time %v", c.TakenOverAt, w.now)
	}
	updates, _ := w.takeovers()
	if len(updates) != 2 || updates[0].IdempotencyKey != updates[1].IdempotencyKey || updates[0].Replayed || !updates[1].Replayed {
		t.Errorf("auto_advance requests %+v: want the same key twice, the second replayed", updates)
	}
	// A third run (River's at-least-once) changes nothing and calls nothing.
	if err := w.run(j); err != nil {
		t.Fatal(err)
	}
	if updates, _ := w.takeovers(); len(updates) != 2 {
		t.Errorf("a run on a taken-over case called Stripe again: %+v", updates)
	}
	if n := countSummary(w.timeline(c), "Took this invoice over"); n != 1 {
		t.Errorf("%d takeover entries, want 1", n)
	}
}

// The invoice is paid before the takeover runs: Stripe refuses the change (ECONFLICT), and the
// case reads the invoice again and is recovered.
func TestTakeoverOfAnInvoicePaidMeanwhile(t *testing.T) {
	w := newTakeoverWorld(t, actPolicy)
	j, _ := w.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := w.run(j); err != nil {
		t.Fatal(err)
	}
	if err := w.fake.SetPaymentMethodBehaviour(w.r.PaymentMethodID, stripefake.Succeed()); err != nil {
		t.Fatal(err)
	}
	if err := w.fake.PayByCustomer(w.r.InvoiceID, w.r.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	w.runDue()
	c := w.wantState(w.r.InvoiceID, recoup.StateRecovered)
	if !c.TakenOverAt.IsZero() || c.Attempts != 0 {
		t.Errorf("case taken over at %v after %d charges; want neither", c.TakenOverAt, c.Attempts)
	}
	if updates, _ := w.takeovers(); len(updates) != 1 || updates[0].Status != 400 {
		t.Errorf("auto_advance requests %+v: want one, refused", updates)
	}
}

// A case opened in observe mode is not taken over; once the policy acts, recoup's first
// charge takes it over first, synchronously.
func TestTakeoverBeforeTheFirstChargeAfterAReloadToAct(t *testing.T) {
	w := newTakeoverWorld(t, observePolicy)
	w.advance(12 * time.Hour)
	c := w.wantState(w.r.InvoiceID, recoup.StateScheduled)
	if !c.TakenOverAt.IsZero() {
		t.Fatal("observe mode took the invoice over")
	}
	for _, q := range w.fake.Requests() {
		if q.Method != "GET" {
			t.Fatalf("observe mode made a mutating call: %s %s", q.Method, q.Path)
		}
	}
	// Acting without a campaign: the charge, not a message, is recoup's first action.
	actYAML := strings.Replace(observePolicy, "mode: observe\n", "", 1)
	actYAML = actYAML[:strings.Index(actYAML, "campaign:")]
	act, err := policy.Parse("act.yaml", []byte(actYAML))
	if err != nil {
		t.Fatal(err)
	}
	w.eng.SetPolicy(act)
	w.advance(4 * 24 * time.Hour)
	c = w.caseOf(w.r.InvoiceID)
	if c.TakenOverAt.IsZero() || c.Attempts == 0 {
		t.Fatalf("after the reload: taken over at %v, %d charges", c.TakenOverAt, c.Attempts)
	}
	_, first := w.takeovers()
	if i := w.takeoverIndex(); i < 0 || i > first {
		t.Errorf("the takeover (request %d) came after recoup's first action (request %d)", i, first)
	}
}

// A gateway that cannot take an invoice over (the simulator's worlds, the test fake): no job,
// recoup acts as before, and the timeline says once that Stripe's collection stays on.
func TestNoTakeoverWithoutTheGateway(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	for _, j := range h.pending() {
		if j.Kind == recoup.JobTakeover {
			t.Fatalf("a takeover job without a takeover gateway: %+v", j)
		}
	}
	h.advance(4 * 24 * time.Hour)
	c := h.caseOf("in_1")
	if c.Attempts == 0 || !c.TakenOverAt.IsZero() {
		t.Errorf("%d charges, taken over at %v", c.Attempts, c.TakenOverAt)
	}
	if n := countSummary(h.timeline(c), "Stripe's automatic collection of this invoice stays on"); n != 1 {
		t.Errorf("%d notes that collection stays on, want 1:\n%s", n, dump(h.timeline(c)))
	}
}

// A case recoup took over and no longer manages (the policy moved to observe mode) is given
// back to Stripe by the next reconciliation, once; taken over again when the policy acts once
// more, under a new key, so that Stripe does not merely replay the first takeover.
func TestGiveBackWhenRecoupNoLongerManages(t *testing.T) {
	w := newTakeoverWorld(t, actPolicy)
	w.runDue()
	c := w.wantState(w.r.InvoiceID, recoup.StateScheduled)
	if c.TakenOverAt.IsZero() {
		t.Fatal("the case was not taken over")
	}
	testTemplates := policy.Options{Templates: append(policy.BuiltinTemplates(), "reminder")}
	observe, err := policy.ParseWith("observe.yaml", []byte("mode: observe\n"+actPolicy), testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	w.eng.SetPolicy(observe)
	for range 2 { // the second run finds the sweep done for this policy
		if err := w.eng.Reconcile(context.Background(), w.now); err != nil {
			t.Fatal(err)
		}
	}
	if snap, _ := w.fake.Invoice(w.r.InvoiceID); !snap.AutoAdvance {
		t.Fatal("the invoice recoup no longer manages still has auto_advance off: nobody collects it")
	}
	c = w.caseOf(w.r.InvoiceID)
	if !c.TakenOverAt.IsZero() || c.TakeoverRound != 1 {
		t.Fatalf("after the give-back: taken over at %v, round %d", c.TakenOverAt, c.TakeoverRound)
	}
	if n := countSummary(w.timeline(c), "Gave this invoice back to Stripe"); n != 1 {
		t.Fatalf("%d give-back entries, want 1:\n%s", n, dump(w.timeline(c)))
	}
	updates, _ := w.takeovers()
	if len(updates) != 2 || updates[1].IdempotencyKey == updates[0].IdempotencyKey {
		t.Fatalf("auto_advance requests %+v: want the takeover and one give-back, with their own keys", updates)
	}
	if _, err := w.fake.AutoRetry(w.r.InvoiceID); err != nil {
		t.Errorf("Stripe cannot retry the invoice given back to it: %v", err)
	}

	act, err := policy.ParseWith("act.yaml", []byte(actPolicy), testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	w.eng.SetPolicy(act)
	w.advance(4 * 24 * time.Hour)
	c = w.caseOf(w.r.InvoiceID)
	if c.TakenOverAt.IsZero() {
		t.Fatal("recoup manages the case again but did not take it over again")
	}
	if snap, _ := w.fake.Invoice(w.r.InvoiceID); snap.AutoAdvance {
		t.Fatal("the invoice taken over again still has auto_advance on")
	}
	updates, _ = w.takeovers()
	if len(updates) != 3 || updates[2].IdempotencyKey != c.TakeoverKey() || updates[2].IdempotencyKey == updates[0].IdempotencyKey {
		t.Fatalf("auto_advance requests %+v: want a second takeover under the round's own key %s", updates, c.TakeoverKey())
	}
}

// Someone turns Stripe's automatic collection of a taken-over invoice on again (in Stripe's
// dashboard, or another integration): before its next action recoup sees it on the invoice it
// reads anyway, and leaves the invoice to Stripe instead of retrying alongside it or turning
// it off behind their back: the case pauses, says why, and makes no charge, message or
// auto_advance request. An operator's resume takes it over again under a new key.
func TestStripesCollectionTurnedOnAgainPausesTheCase(t *testing.T) {
	w := newTakeoverWorld(t, actPolicy)
	w.runDue()
	c := w.wantState(w.r.InvoiceID, recoup.StateScheduled)
	if c.TakenOverAt.IsZero() {
		t.Fatal("the case was not taken over")
	}
	if err := w.gw.Client.SetAutoAdvance(context.Background(), w.r.InvoiceID, true, "merchant-dashboard-edit"); err != nil {
		t.Fatal(err)
	}
	sent := len(w.notes.sent)
	w.advance(4 * 24 * time.Hour) // the message on day 1, the first retry on day 3
	c = w.wantState(w.r.InvoiceID, recoup.StatePaused)
	if c.Attempts != 0 || len(w.notes.sent) != sent {
		t.Fatalf("recoup charged %d times and sent %d messages on an invoice Stripe collects again", c.Attempts, len(w.notes.sent)-sent)
	}
	if n := countSummary(w.timeline(c), "Stripe's automatic collection of this invoice was turned on again"); n != 1 {
		t.Errorf("%d timeline entries for leaving the invoice to Stripe, want 1", n)
	}
	if updates, _ := w.takeovers(); len(updates) != 2 {
		t.Errorf("%d auto_advance requests, want the takeover and the merchant's only", len(updates))
	}
	if snap, _ := w.fake.Invoice(w.r.InvoiceID); !snap.AutoAdvance {
		t.Error("recoup turned the merchant's automatic collection off")
	}

	if err := w.eng.Resume(context.Background(), w.now, c.ID, "ops@example.com"); err != nil {
		t.Fatal(err)
	}
	w.advance(2 * 24 * time.Hour)
	c = w.caseOf(w.r.InvoiceID)
	if c.Attempts == 0 || c.TakenOverAt.IsZero() {
		t.Fatalf("after the resume: %d charges, taken over at %v", c.Attempts, c.TakenOverAt)
	}
	updates, _ := w.takeovers()
	if len(updates) != 3 || updates[2].IdempotencyKey != c.TakeoverKey() || c.TakeoverRound != 1 {
		t.Fatalf("auto_advance requests %+v, want a third with the new round's key %s", updates, c.TakeoverKey())
	}
	if snap, _ := w.fake.Invoice(w.r.InvoiceID); snap.AutoAdvance {
		t.Error("the resumed case charged with Stripe's collection on")
	}
}

// The invoice.updated Stripe sends when someone turns automatic collection on again pauses the
// case at once; the one recoup's own takeover causes (auto_advance turned off) changes nothing.
func TestCollectionTurnedOnAgainEventPausesTheCase(t *testing.T) {
	w := newTakeoverWorld(t, actPolicy)
	w.runDue()
	deliverLatest := func() recoup.Event {
		t.Helper()
		evs := w.fake.EventsOfType("invoice.updated")
		if len(evs) == 0 {
			t.Fatal("the fake sent no invoice.updated")
		}
		ev, err := stripeapi.ParseEvent(evs[len(evs)-1].Payload, recoup.OriginWebhook)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.eng.Ingest(w.ctx, w.now, &ev); err != nil {
			t.Fatal(err)
		}
		w.runDue()
		got, err := w.store.Event(w.ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	ours := deliverLatest() // recoup's takeover: auto_advance true -> false
	if c := w.wantState(w.r.InvoiceID, recoup.StateScheduled); c.TakenOverAt.IsZero() || ours.Status != recoup.EventIgnored {
		t.Fatalf("recoup's own takeover event undid the takeover (event %s: %s)", ours.Status, ours.Note)
	}
	if err := w.gw.Client.SetAutoAdvance(context.Background(), w.r.InvoiceID, true, "merchant-dashboard-edit"); err != nil {
		t.Fatal(err)
	}
	ev := deliverLatest()
	c := w.wantState(w.r.InvoiceID, recoup.StatePaused)
	if ev.Status != recoup.EventProcessed || !strings.Contains(ev.Note, "automatic collection is on again") || c.NextAction != nil {
		t.Fatalf("event %s (%q), next action %+v", ev.Status, ev.Note, c.NextAction)
	}
	if n := countSummary(w.timeline(c), "Stripe's automatic collection of this invoice was turned on again"); n != 1 {
		t.Errorf("%d timeline entries, want 1", n)
	}
}
