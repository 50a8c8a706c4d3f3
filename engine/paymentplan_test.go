package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/stripeapi"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// Payment plans run against the stateful fake Stripe through the real client: it keeps the
// invoices, refuses to settle an invoice that is paid already as Stripe does, and charges a
// part only once Stripe's automatic advancement is on for it (RunScheduledInvoices).

const planPolicy = testPolicy + `campaign:
  hour: 9
  steps:
    - {day: 1, template: reminder, tone: gentle}
payment_plan: {above: 50000, parts: 3, every: 30d}
`

// hookedGateway is the real client with hooks around the plan's calls, to play the customer,
// Stripe or a crash at each step. A hook that returns an error stands for the call's answer.
type hookedGateway struct {
	*stripeapi.Client
	beforeCreate, beforeSettle, afterSettle, beforeSchedule, beforeCancel, beforeParts func(id string) error
	afterCreate                                                                        func(id string) error
	beforePay                                                                          func() error
}

func call(hook func(string) error, id string) error {
	if hook == nil {
		return nil
	}
	return hook(id)
}

func (g *hookedGateway) CreatePlanInvoice(ctx context.Context, inv recoup.PlanInvoice) (string, error) {
	if err := call(g.beforeCreate, inv.Metadata["recoup_plan_part"]); err != nil {
		return "", err
	}
	id, err := g.Client.CreatePlanInvoice(ctx, inv)
	if err == nil {
		err = call(g.afterCreate, inv.Metadata["recoup_plan_part"])
	}
	return id, err
}

func (g *hookedGateway) PlanParts(ctx context.Context, customerID, invoiceID string, since time.Time) ([]recoup.PlanPart, error) {
	if err := call(g.beforeParts, invoiceID); err != nil {
		return nil, err
	}
	return g.Client.PlanParts(ctx, customerID, invoiceID, since)
}

func (g *hookedGateway) SettleOutOfBand(ctx context.Context, id, key string) error {
	if err := call(g.beforeSettle, id); err != nil {
		return err
	}
	if err := g.Client.SettleOutOfBand(ctx, id, key); err != nil {
		return err
	}
	return call(g.afterSettle, id)
}

func (g *hookedGateway) SchedulePlanInvoice(ctx context.Context, id string, at time.Time, key string) error {
	if err := call(g.beforeSchedule, id); err != nil {
		return err
	}
	return g.Client.SchedulePlanInvoice(ctx, id, at, key)
}

func (g *hookedGateway) CancelPlanInvoice(ctx context.Context, id, key string) error {
	if err := call(g.beforeCancel, id); err != nil {
		return err
	}
	return g.Client.CancelPlanInvoice(ctx, id, key)
}

func (g *hookedGateway) Pay(ctx context.Context, req recoup.PayRequest) (recoup.PayResult, error) {
	if g.beforePay != nil {
		if err := g.beforePay(); err != nil {
			return recoup.PayResult{}, err
		}
	}
	return g.Client.Pay(ctx, req)
}

// once runs fn the first time only.
func once(fn func(string) error) func(string) error {
	done := false
	return func(id string) error {
		if done {
			return nil
		}
		done = true
		return fn(id)
	}
}

type planWorld struct {
	*harness
	fake *stripefake.Server
	gw   *hookedGateway
	r    stripefake.Renewal
	c    recoup.Case
}

// newPlanWorld opens a case for a failed renewal of 1000.00 USD whose card keeps declining.
func newPlanWorld(t *testing.T) *planWorld { return newPlanWorldWith(t, planPolicy) }

func newPlanWorldWith(t *testing.T, policyYAML string) *planWorld {
	t.Helper()
	h := newHarness(t, policyYAML)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return h.now }}).Start()
	t.Cleanup(fake.Close)
	client, err := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_plan", APIBase: fake.URL(), MaxNetworkRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	gw := &hookedGateway{Client: client}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: gw, Notifier: h.notes, Policy: h.eng.Policy()})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{AmountDue: 100_000, Decline: stripefake.CardDeclined("insufficient_funds"),
		Behaviour: stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))})
	if err != nil {
		t.Fatal(err)
	}
	h.ingest("evt_failed", "invoice.payment_failed", r.InvoiceID, r.CustomerID)
	h.runDue()
	w := &planWorld{harness: h, fake: fake, gw: gw, r: r}
	w.c = h.wantState(r.InvoiceID, recoup.StateScheduled)
	return w
}

func (w *planWorld) start() ([]string, error) {
	return w.eng.StartPaymentPlan(w.ctx, w.now, w.c.ID, "ops@example.com")
}

// customerPays is the customer paying the original invoice on the hosted page.
func (w *planWorld) customerPays() error {
	if err := w.fake.SetPaymentMethodBehaviour(w.r.PaymentMethodID, stripefake.Succeed()); err != nil {
		return err
	}
	return w.fake.PayByCustomer(w.r.InvoiceID, w.r.PaymentMethodID)
}

// parts are the plan's invoices in the fake (found by their metadata), deleted ones aside.
func (w *planWorld) parts() []stripefake.InvoiceSnapshot {
	return w.fake.InvoicesWithMetadata("recoup_plan_of", w.r.InvoiceID)
}

// noPartEverCharged lets Stripe's automatic advancement run for 100 days with a card that
// pays, and checks that it finalized nothing, that what is left of the plan is inert drafts,
// and that the original invoice was charged at most once.
func (w *planWorld) noPartEverCharged() {
	w.t.Helper()
	if err := w.fake.SetPaymentMethodBehaviour(w.r.PaymentMethodID, stripefake.Succeed()); err != nil {
		w.t.Fatal(err)
	}
	for range 100 {
		w.now = w.now.Add(24 * time.Hour)
		if fin := w.fake.RunScheduledInvoices(); len(fin) > 0 {
			w.t.Fatalf("Stripe finalized %v on day %s", fin, w.now)
		}
	}
	for _, snap := range w.parts() {
		if snap.SucceededCharges > 0 || snap.Status != "draft" || snap.AutoAdvance {
			w.t.Errorf("part %+v", snap)
		}
	}
	if n := w.fake.SucceededCharges(w.r.InvoiceID); n > 1 {
		w.t.Errorf("the original invoice was charged %d times", n)
	}
}

func TestPaymentPlanReplacesTheInvoiceAndChargesEachPartOnce(t *testing.T) {
	w := newPlanWorld(t)
	if _, err := w.eng.StartPaymentPlan(w.ctx, w.now, w.c.ID, ""); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Fatalf("plan without an operator: %v", err)
	}
	// Stripe sends invoice.paid for the settlement while the plan is still being set up: the
	// case stays held for the plan, which records the outcome.
	w.gw.afterSettle = func(id string) error {
		w.ingest("evt_settled", "invoice.paid", id, w.r.CustomerID)
		w.runDue()
		w.wantState(id, recoup.StatePlanning)
		return nil
	}
	ids, err := w.start()
	if err != nil {
		t.Fatal(err)
	}
	parts := w.parts()
	if len(ids) != 3 || len(parts) != 3 {
		t.Fatalf("ids %v, parts %+v", ids, parts)
	}
	var sum int64
	for i, p := range parts {
		sum += p.AmountDue
		due := w.now.Add(time.Hour + time.Duration(i)*30*24*time.Hour)
		if p.ID != ids[i] || p.Status != "draft" || !p.AutoAdvance || !p.FinalizesAt.Equal(due) || p.Metadata["recoup_plan_part"] != []string{"1/3", "2/3", "3/3"}[i] {
			t.Errorf("part %d = %+v, want due %v", i+1, p, due)
		}
	}
	orig, _ := w.fake.Invoice(w.r.InvoiceID)
	if sum != 100_000 || orig.Status != "paid" || orig.SucceededCharges != 0 {
		t.Fatalf("parts add up to %d; original %+v", sum, orig)
	}
	c := w.wantState(w.r.InvoiceID, recoup.StateClosed)
	tl := dump(w.timeline(c))
	if !strings.HasPrefix(c.ClosedReason, "replaced by a payment plan") || !strings.Contains(tl, "payment plan agreed by ops@example.com") ||
		!strings.Contains(tl, "turned on") {
		t.Fatalf("case: %q\n%s", c.ClosedReason, tl)
	}
	// A second start is refused, and the customer cannot pay the settled invoice again.
	if _, err := w.start(); recoup.ErrorCode(err) != recoup.ECONFLICT {
		t.Fatalf("second plan: %v", err)
	}
	if err := w.customerPays(); err == nil {
		t.Fatal("the customer paid the settled invoice")
	}

	// Stripe charges the first part when it falls due, once; the second fails and opens its
	// own case.
	w.now = w.now.Add(time.Hour)
	if fin := w.fake.RunScheduledInvoices(); len(fin) != 1 || fin[0] != ids[0] {
		t.Fatalf("finalized %v", fin)
	}
	if n := w.fake.SucceededCharges(ids[0]); n != 1 {
		t.Fatalf("part 1 charged %d times", n)
	}
	if err := w.fake.SetPaymentMethodBehaviour(w.r.PaymentMethodID, stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(30 * 24 * time.Hour)
	if fin := w.fake.RunScheduledInvoices(); len(fin) != 1 || fin[0] != ids[1] {
		t.Fatalf("finalized %v", fin)
	}
	w.ingest("evt_part2", "invoice.payment_failed", ids[1], w.r.CustomerID)
	w.runDue()
	if pc := w.wantState(ids[1], recoup.StateScheduled); pc.Amount.Amount != 33_333 || pc.ID == c.ID {
		t.Fatalf("part case %+v", pc)
	}
	if n := w.fake.SucceededCharges(w.r.InvoiceID); n != 0 {
		t.Fatalf("the original invoice was charged %d times", n)
	}
}

func TestPaymentPlanRefusedBelowTheThreshold(t *testing.T) {
	w := newPlanWorldWith(t, strings.Replace(planPolicy, "above: 50000", "above: 500000", 1))
	before := len(w.fake.Requests())
	_, err := w.start()
	if recoup.ErrorCode(err) != recoup.EINVALID || len(w.parts()) != 0 {
		t.Fatalf("err %v, parts %+v", err, w.parts())
	}
	for _, req := range w.fake.Requests()[before:] {
		if req.Method != "GET" {
			t.Errorf("refused plan made a call: %s %s", req.Method, req.Path)
		}
	}
	w.wantState(w.r.InvoiceID, recoup.StateScheduled)
}

// The original invoice is paid before the plan holds the case, and between the hold and the
// parts: no part is created, and the case is recovered.
func TestPaymentPlanOriginalPaidBeforeThePartsAreCreated(t *testing.T) {
	t.Run("before the plan starts", func(t *testing.T) {
		w := newPlanWorld(t)
		if err := w.customerPays(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.start(); recoup.ErrorCode(err) != recoup.ECONFLICT || !strings.Contains(err.Error(), "paid") {
			t.Fatalf("err %v", err)
		}
		w.wantState(w.r.InvoiceID, recoup.StateRecovered)
		if len(w.parts()) != 0 {
			t.Fatalf("parts %+v", w.parts())
		}
	})
	t.Run("after the hold", func(t *testing.T) {
		w := newPlanWorld(t)
		w.gw.beforeParts = once(func(string) error { return w.customerPays() })
		_, err := w.start()
		if recoup.ErrorCode(err) != recoup.ECONFLICT || !strings.Contains(err.Error(), "was paid before the payment plan replaced it") {
			t.Fatalf("err %v", err)
		}
		c := w.wantState(w.r.InvoiceID, recoup.StateRecovered)
		if c.RecoveredBy == recoup.ByOutOfBand || len(w.parts()) != 0 {
			t.Fatalf("recovered by %s, parts %+v", c.RecoveredBy, w.parts())
		}
		w.noPartEverCharged()
	})
}

// The customer pays the original invoice after the parts were created and before it is
// settled: Stripe refuses the settlement, the parts are removed before they could ever charge,
// and the error names them.
func TestPaymentPlanOriginalPaidBeforeTheSettlement(t *testing.T) {
	w := newPlanWorld(t)
	w.gw.beforeSettle = func(string) error { return w.customerPays() }
	ids, err := w.start()
	if recoup.ErrorCode(err) != recoup.ECONFLICT || len(ids) != 3 {
		t.Fatalf("ids %v, err %v", ids, err)
	}
	for _, id := range ids {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error does not name part %s: %v", id, err)
		}
	}
	if !strings.Contains(err.Error(), "Invoice is already paid") || !strings.Contains(err.Error(), "were removed") {
		t.Errorf("error: %v", err)
	}
	if len(w.parts()) != 0 {
		t.Fatalf("parts left: %+v", w.parts())
	}
	c := w.wantState(w.r.InvoiceID, recoup.StateRecovered)
	if c.RecoveredBy == recoup.ByOutOfBand || !strings.Contains(dump(w.timeline(c)), "payment plan given up") {
		t.Fatalf("recovered by %s; timeline:\n%s", c.RecoveredBy, dump(w.timeline(c)))
	}
	// The webhook of the customer's payment changes nothing now.
	w.ingest("evt_paid", "invoice.paid", w.r.InvoiceID, w.r.CustomerID)
	w.runDue()
	w.noPartEverCharged()
	if n := w.fake.SucceededCharges(w.r.InvoiceID); n != 1 {
		t.Fatalf("the original invoice was charged %d times, want once", n)
	}
}

// Once the original is settled, nobody can pay it: the customer's attempt and Stripe's retry
// are refused, and the plan goes ahead.
func TestPaymentPlanOriginalPaidAfterTheSettlement(t *testing.T) {
	w := newPlanWorld(t)
	var payErr, retryErr error
	w.gw.afterSettle = func(string) error {
		payErr = w.customerPays()
		_, retryErr = w.fake.AutoRetry(w.r.InvoiceID)
		return nil
	}
	ids, err := w.start()
	if err != nil || len(ids) != 3 {
		t.Fatalf("ids %v, err %v", ids, err)
	}
	if payErr == nil || retryErr == nil {
		t.Fatalf("paid twice: customer %v, Stripe %v", payErr, retryErr)
	}
	w.wantState(w.r.InvoiceID, recoup.StateClosed)
	if n := w.fake.SucceededCharges(w.r.InvoiceID); n != 0 {
		t.Fatalf("the original invoice was charged %d times", n)
	}
}

// While the plan is being set up, recoup's own retry and messages that fall due do nothing, and
// a charge already in flight makes the plan refuse to start.
func TestPaymentPlanHoldsTheCase(t *testing.T) {
	t.Run("retries and messages wait", func(t *testing.T) {
		w := newPlanWorld(t)
		sentBefore := len(w.notes.sent)
		// The plan starts the next morning, when the first retry (due yesterday at 15:00) and
		// the day 1 message (9:00) have not run yet; their jobs run while it is set up.
		w.now = w.now.Add(20 * time.Hour)
		w.gw.beforeSettle = once(func(string) error {
			if c := w.caseOf(w.r.InvoiceID); c.State != recoup.StatePlanning || c.NextAction != nil {
				t.Errorf("case not held: %s %+v", c.State, c.NextAction)
			}
			if len(w.pending()) < 2 {
				t.Errorf("the test proves nothing: jobs %+v", w.pending())
			}
			w.runDue()
			// Operators cannot act on the case meanwhile either.
			for name, act := range map[string]func() error{
				"retry now":     func() error { return w.eng.RetryNow(w.ctx, w.now, w.c.ID, "ops") },
				"pause":         func() error { return w.eng.Pause(w.ctx, w.now, w.c.ID, "ops") },
				"mark resolved": func() error { return w.eng.MarkResolved(w.ctx, w.now, w.c.ID, "ops", "") },
			} {
				if err := act(); recoup.ErrorCode(err) != recoup.ECONFLICT || !strings.Contains(err.Error(), "payment plan is being set up") {
					t.Errorf("%s during the plan: %v", name, err)
				}
			}
			return nil
		})
		if _, err := w.start(); err != nil {
			t.Fatal(err)
		}
		for _, req := range w.fake.Requests() {
			if strings.HasSuffix(req.Path, "/pay") && strings.Contains(req.IdempotencyKey, "attempt") {
				t.Errorf("recoup charged during the plan: %+v", req)
			}
		}
		if len(w.notes.sent) != sentBefore {
			t.Errorf("messages sent during the plan: %+v", w.notes.sent[sentBefore:])
		}
		w.wantState(w.r.InvoiceID, recoup.StateClosed)
	})
	t.Run("a charge in flight", func(t *testing.T) {
		w := newPlanWorld(t)
		var planErr error
		w.gw.beforePay = func() error {
			w.gw.beforePay = nil
			_, planErr = w.start()
			return nil
		}
		w.advance(24 * time.Hour) // recoup's first retry
		if recoup.ErrorCode(planErr) != recoup.ECONFLICT || !strings.Contains(planErr.Error(), "in flight") {
			t.Fatalf("plan during a charge: %v", planErr)
		}
		if len(w.parts()) != 0 || w.caseOf(w.r.InvoiceID).State == recoup.StatePlanning {
			t.Fatalf("plan went ahead: %+v", w.parts())
		}
	})
}

// errCrash stands for a call whose answer never came (the process died, or Stripe timed out).
var errCrash = recoup.Errorf(recoup.EUNAVAILABLE, "stripe: connection reset")

// A run cut off at each step leaves the case held and nothing that charges; the next run
// finishes the plan without creating anything twice.
func TestPaymentPlanRerunAfterACrashAtEachStep(t *testing.T) {
	w := newPlanWorld(t)
	// 1. Part 2 is created but its answer is lost.
	w.gw.afterCreate = once(func(part string) error {
		if part == "2/3" {
			return errCrash
		}
		w.gw.afterCreate = once(func(string) error { return errCrash })
		return nil
	})
	if _, err := w.start(); recoup.ErrorCode(err) != recoup.EUNAVAILABLE || !strings.Contains(err.Error(), "run the plan again") {
		t.Fatalf("crash while creating: %v", err)
	}
	w.wantState(w.r.InvoiceID, recoup.StatePlanning)
	if n := len(w.parts()); n != 2 {
		t.Fatalf("%d parts after the first run, want 2", n)
	}
	// 2. The settlement goes through but its answer is lost.
	w.gw.afterCreate = nil
	w.gw.afterSettle = once(func(string) error { return errCrash })
	if _, err := w.start(); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Fatalf("crash after the settlement: %v", err)
	}
	w.wantState(w.r.InvoiceID, recoup.StatePlanning)
	// 3. Turning part 2 on fails.
	w.gw.beforeSchedule = func(id string) error {
		if id == w.parts()[1].ID {
			return errCrash
		}
		return nil
	}
	if _, err := w.start(); recoup.ErrorCode(err) != recoup.EUNAVAILABLE || !strings.Contains(err.Error(), "settled") {
		t.Fatalf("crash while turning on: %v", err)
	}
	w.wantState(w.r.InvoiceID, recoup.StateClosed)
	// 4. The last run turns the rest on; one more is refused.
	w.gw.beforeSchedule = nil
	ids, err := w.start()
	if err != nil || len(ids) != 3 {
		t.Fatalf("last run: %v %v", ids, err)
	}
	parts := w.parts()
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3: %+v", len(parts), parts)
	}
	var sum int64
	for i, p := range parts {
		sum += p.AmountDue
		if p.ID != ids[i] || !p.AutoAdvance || p.Status != "draft" {
			t.Errorf("part %d: %+v", i+1, p)
		}
	}
	if sum != 100_000 {
		t.Errorf("parts add up to %d", sum)
	}
	if _, err := w.start(); recoup.ErrorCode(err) != recoup.ECONFLICT {
		t.Fatalf("run after the plan is in place: %v", err)
	}
	if n := w.fake.SucceededCharges(w.r.InvoiceID); n != 0 {
		t.Fatalf("the original invoice was charged %d times", n)
	}
}

// The first run stops before the settlement; the customer pays the original meanwhile. The
// re-run finds the invoice paid and removes the parts, whether or not the payment's webhook
// came first.
func TestPaymentPlanOriginalPaidBeforeARerun(t *testing.T) {
	for _, webhook := range []bool{false, true} {
		t.Run(map[bool]string{false: "webhook not yet", true: "webhook first"}[webhook], func(t *testing.T) {
			w := newPlanWorld(t)
			w.gw.beforeSettle = once(func(string) error { return errCrash })
			ids, err := w.start()
			if recoup.ErrorCode(err) != recoup.EUNAVAILABLE || len(ids) != 3 {
				t.Fatalf("first run: %v %v", ids, err)
			}
			if err := w.customerPays(); err != nil {
				t.Fatal(err)
			}
			if webhook {
				w.ingest("evt_paid", "invoice.paid", w.r.InvoiceID, w.r.CustomerID)
				w.runDue()
				w.wantState(w.r.InvoiceID, recoup.StateRecovered)
			}
			_, err = w.start()
			if recoup.ErrorCode(err) != recoup.ECONFLICT || !strings.Contains(err.Error(), "were removed") {
				t.Fatalf("re-run: %v", err)
			}
			if len(w.parts()) != 0 {
				t.Fatalf("parts left: %+v", w.parts())
			}
			w.wantState(w.r.InvoiceID, recoup.StateRecovered)
			w.noPartEverCharged()
		})
	}
}

// A part that cannot be removed is named in the error and stays an inert draft; a re-run
// removes it.
func TestPaymentPlanPartThatCannotBeRemoved(t *testing.T) {
	w := newPlanWorld(t)
	w.gw.beforeSettle = func(string) error { return w.customerPays() }
	var stuck string
	w.gw.beforeCancel = once(func(id string) error {
		stuck = id
		return errCrash
	})
	_, err := w.start()
	if err == nil || !strings.Contains(err.Error(), stuck+" could not be removed") || !strings.Contains(err.Error(), "run the plan again") {
		t.Fatalf("err %v", err)
	}
	if parts := w.parts(); len(parts) != 1 || parts[0].ID != stuck || parts[0].AutoAdvance {
		t.Fatalf("parts %+v", parts)
	}
	w.wantState(w.r.InvoiceID, recoup.StateRecovered)
	_, err = w.start()
	if recoup.ErrorCode(err) != recoup.ECONFLICT || !strings.Contains(err.Error(), stuck+" were removed") {
		t.Fatalf("re-run: %v", err)
	}
	if len(w.parts()) != 0 {
		t.Fatalf("parts left: %+v", w.parts())
	}
	if _, err := w.start(); recoup.ErrorCode(err) != recoup.ECONFLICT || !strings.Contains(err.Error(), "the case is recovered") {
		t.Fatalf("third run: %v", err)
	}
	w.noPartEverCharged()
}

// Stripe refuses a part for good (the customer was deleted meanwhile, say): the parts are
// removed and the case is paused for the operator, with its invoice still open.
func TestPaymentPlanGivenUpWhileTheInvoiceIsOpen(t *testing.T) {
	w := newPlanWorld(t)
	w.gw.beforeCreate = func(part string) error {
		if part == "3/3" {
			return recoup.Errorf(recoup.EINVALID, "stripe: No such customer")
		}
		return nil
	}
	_, err := w.start()
	if recoup.ErrorCode(err) != recoup.EINVALID || !strings.Contains(err.Error(), "the case is paused") {
		t.Fatalf("err %v", err)
	}
	if len(w.parts()) != 0 {
		t.Fatalf("parts left: %+v", w.parts())
	}
	w.wantState(w.r.InvoiceID, recoup.StatePaused)
	if orig, _ := w.fake.Invoice(w.r.InvoiceID); orig.Status != "open" {
		t.Fatalf("original %+v", orig)
	}
}
