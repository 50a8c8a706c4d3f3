package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// withEmail gives the invoice an email address, as Stripe's customer_email would.
func (g *fakeGateway) withEmail(invoiceID, email string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.invoices[invoiceID].CustomerEmail = email
}

func TestHardBounceSuppressesLaterEmailSteps(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.gw.withEmail("in_1", "gone@example.com")
	h.notes.errs = []error{recoup.Errorf(recoup.EINVALID, "smtp: 550 5.1.1 no such mailbox")}
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(8 * 24 * time.Hour)
	c := h.caseOf("in_1")
	ms := h.messages(c)
	if len(ms) != 3 {
		t.Fatalf("messages %+v, want the three steps recorded", ms)
	}
	if ms[0].Status != recoup.MessageFailed || !strings.Contains(ms[0].Error, "550") {
		t.Errorf("step 0 %s %q, want failed with the 550", ms[0].Status, ms[0].Error)
	}
	for _, m := range ms[1:] {
		if m.Status != recoup.MessageSkipped || !strings.Contains(m.Error, "hard_bounce") {
			t.Errorf("step %d %s %q, want skipped for the bounce", m.Step, m.Status, m.Error)
		}
	}
	if len(h.notes.sent) != 0 {
		t.Errorf("sent %d messages to a bounced address", len(h.notes.sent))
	}
	tl := dump(h.timeline(c))
	for _, want := range []string{"bounced for good", "message 1 (reminder) skipped: the customer is suppressed on email"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}

	// The suppression is the customer's: their next failed invoice gets no email either.
	h.gw.failRenewal("in_2", "cus_1", 900, expired)
	h.gw.withEmail("in_2", "gone@example.com")
	h.ingest("evt_2", "invoice.payment_failed", "in_2", "cus_1")
	h.runDue()
	if len(h.notes.sent) != 0 {
		t.Errorf("a suppressed customer was sent %+v", h.notes.sent)
	}
	if ms := h.messages(h.caseOf("in_2")); len(ms) != 1 || ms[0].Status != recoup.MessageSkipped {
		t.Errorf("second case messages %+v, want step 0 skipped", ms)
	}
}

// A message without an address fails, but there is nothing to suppress: a later invoice with
// an address is written to.
func TestMessageWithoutAddressIsNoBounce(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.notes.errs = []error{recoup.Errorf(recoup.EINVALID, "email: no recipient")}
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	h.gw.failRenewal("in_2", "cus_1", 900, expired)
	h.gw.withEmail("in_2", "ada@example.com")
	h.ingest("evt_2", "invoice.payment_failed", "in_2", "cus_1")
	h.runDue()
	if len(h.notes.sent) != 1 || h.notes.sent[0].To != "ada@example.com" {
		t.Fatalf("sent %+v, want the second case's step 0", h.notes.sent)
	}
}

// rendererFunc adapts a function to engine.Renderer.
type rendererFunc func(engine.Draft) (engine.Content, error)

func (f rendererFunc) Render(d engine.Draft) (engine.Content, error) { return f(d) }

func TestRendererWritesTheMessages(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	var drafts []engine.Draft
	fail := true
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(),
		Renderer: rendererFunc(func(d engine.Draft) (engine.Content, error) {
			if fail {
				fail = false
				return engine.Content{}, errors.New("template exploded") // temporary: the job is retried
			}
			drafts = append(drafts, d)
			return engine.Content{Subject: "S " + d.Template, Text: "T " + d.Tone, HTML: "<p>H</p>"}, nil
		})})
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.gw.withEmail("in_1", "ada@example.com")
	h.gw.mu.Lock()
	h.gw.invoices["in_1"].CustomerName = "Ada Lovelace"
	h.gw.mu.Unlock()
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	j, _ = h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobMessage })
	if err := h.run(j); err == nil || !strings.Contains(err.Error(), "template exploded") {
		t.Fatalf("a rendering failure must fail the job (retried); got %v", err)
	}
	if ms := h.messages(h.caseOf("in_1")); len(ms) != 0 {
		t.Fatalf("a message that could not be rendered was recorded: %+v", ms)
	}
	if err := h.run(j); err != nil { // the retry
		t.Fatal(err)
	}
	if len(h.notes.sent) != 1 {
		t.Fatalf("sent %+v", h.notes.sent)
	}
	m := h.notes.sent[0]
	if m.Subject != "S fix_card" || m.Text != "T helpful" || m.HTML != "<p>H</p>" || m.To != "ada@example.com" {
		t.Errorf("sent %+v", m)
	}
	if got := h.messages(h.caseOf("in_1"))[0]; got.HTML != "<p>H</p>" {
		t.Errorf("stored HTML %q", got.HTML)
	}
	d := drafts[0]
	c := h.caseOf("in_1")
	if d.Case.ID != c.ID || d.Step != 0 || d.Channel != "email" || !d.Now.Equal(h.now) || d.Invoice.CustomerName != "Ada Lovelace" {
		t.Errorf("draft %+v", d)
	}
	// An expired card waits for the customer until the final action: the draft says when.
	if c.NextAction == nil || c.NextAction.Kind != recoup.ActionFinal || !d.FinalAt.Equal(c.NextAction.At) {
		t.Errorf("draft FinalAt %v, case next action %+v", d.FinalAt, c.NextAction)
	}
}

// eventSink records lifecycle events; errs, if set, answers the next emits in turn.
type eventSink struct {
	got  []recoup.CaseEvent
	errs []error
}

func (s *eventSink) Emit(_ context.Context, ev recoup.CaseEvent) error {
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		if err != nil {
			return err
		}
	}
	s.got = append(s.got, ev)
	return nil
}

func TestLifecycleEventsAreDeliveredAtLeastOnce(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	sink := &eventSink{errs: []error{recoup.Errorf(recoup.EUNAVAILABLE, "webhook: 503")}}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(), Lifecycle: sink})
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.gw.script("in_1", insufficient, insufficient, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	c := h.caseOf("in_1")
	j, ok := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobLifecycle })
	if !ok || j.CaseID != c.ID || j.Event != recoup.CaseOpened {
		t.Fatalf("lifecycle job %+v (found %v), want case.opened of case %d", j, ok, c.ID)
	}
	if err := h.run(j); err == nil {
		t.Fatal("a failed delivery must fail the job so that it is retried")
	}
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	h.gw.payByCustomer("in_1", "pm_new")
	h.ingest("evt_2", "invoice.paid", "in_1", "cus_1")
	h.runDue()
	if len(sink.got) != 2 {
		t.Fatalf("events %+v, want opened and recovered", sink.got)
	}
	opened, rec := sink.got[0], sink.got[1]
	if opened.Type != recoup.CaseOpened || opened.ID != "recoup-case-1-in_1-case.opened" || opened.Amount.Amount != 2500 {
		t.Errorf("opened %+v", opened)
	}
	if rec.Type != recoup.CaseRecovered || rec.State != recoup.StateRecovered || rec.RecoveredBy != recoup.ByCustomerPaid || !rec.OccurredAt.Equal(h.now) {
		t.Errorf("recovered %+v", rec)
	}
}

func TestFinalActionEmitsItsEvent(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	sink := &eventSink{}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(), Lifecycle: sink})
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(60 * 24 * time.Hour)
	h.wantState("in_1", recoup.StateExhausted)
	var types []string
	for _, ev := range sink.got {
		types = append(types, ev.Type)
	}
	if strings.Join(types, ",") != "case.opened,case.final_action" {
		t.Fatalf("events %v", types)
	}
	if ev := sink.got[1]; ev.FinalAction == "" || ev.State != recoup.StateExhausted {
		t.Errorf("final action event %+v", ev)
	}
}

func TestNoLifecycleJobsWithoutASink(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	h.caseOf("in_1")
	for _, j := range h.pending() {
		if j.Kind == recoup.JobLifecycle {
			t.Fatalf("lifecycle job %+v queued with no sink", j)
		}
	}
}

// A router without an email channel answers ErrNoChannel: the step is skipped, and the customer
// is not taken for a bounce.
func TestNoChannelIsNoBounce(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.eng = h.withNotifier(func(recoup.Message) error {
		return recoup.Errorf(recoup.EINVALID, "notify: %q channel: %w", "email", recoup.ErrNoChannel)
	})
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.gw.withEmail("in_1", "ada@example.com")
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(8 * 24 * time.Hour)
	for _, m := range h.messages(h.caseOf("in_1")) {
		if m.Status != recoup.MessageSkipped || !strings.Contains(m.Error, "no message channel") {
			t.Errorf("step %d: %s %q, want skipped for want of a channel", m.Step, m.Status, m.Error)
		}
	}
	if tl := dump(h.timeline(h.caseOf("in_1"))); strings.Contains(tl, "bounced") {
		t.Errorf("a missing channel was taken for a bounce:\n%s", tl)
	}
}

// A template that cannot be written for the case fails its step, on the timeline, and the
// campaign goes on: a retry would write it no better.
func TestUnwritableMessageFailsItsStep(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(),
		Renderer: rendererFunc(func(d engine.Draft) (engine.Content, error) {
			if d.Step == 0 {
				return engine.Content{}, recoup.Errorf(recoup.EINVALID, "templates: no subject for %q", d.Template)
			}
			return engine.Content{Subject: "S", Text: "T"}, nil
		})})
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.gw.withEmail("in_1", "ada@example.com")
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(8 * 24 * time.Hour)
	c := h.caseOf("in_1")
	ms := h.messages(c)
	if len(ms) != 3 || ms[0].Status != recoup.MessageFailed || !strings.Contains(ms[0].Error, "no subject") || ms[1].Status != recoup.MessageSent {
		t.Fatalf("messages %+v", ms)
	}
	if len(h.notes.sent) != 2 {
		t.Errorf("sent %d, want the two later steps", len(h.notes.sent))
	}
	if tl := dump(h.timeline(c)); !strings.Contains(tl, "message 0 (fix_card) could not be written") || strings.Contains(tl, "bounced") {
		t.Errorf("timeline:\n%s", tl)
	}
}

// A send that failed for now is retried, unless the customer unsubscribed in between.
func TestRetryAfterUnsubscribeIsSkipped(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.gw.withEmail("in_1", "ada@example.com")
	h.notes.errs = []error{recoup.Errorf(recoup.EUNAVAILABLE, "smtp: 421 try later")}
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	j, _ = h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobMessage })
	if err := h.run(j); err == nil {
		t.Fatal("the temporary error did not fail the job")
	}
	if err := h.store.Tx(h.ctx, func(tx recoup.Tx) error {
		return tx.InsertSuppression(&recoup.Suppression{CustomerID: "cus_1", Channel: "email", Reason: recoup.SuppressUnsubscribe, CreatedAt: h.now})
	}); err != nil {
		t.Fatal(err)
	}
	if err := h.run(j); err != nil { // River's retry
		t.Fatal(err)
	}
	if len(h.notes.sent) != 0 {
		t.Fatalf("sent after the unsubscribe: %+v", h.notes.sent)
	}
	if ms := h.messages(h.caseOf("in_1")); ms[0].Status != recoup.MessageSkipped || !strings.Contains(ms[0].Error, "unsubscribed") {
		t.Errorf("message %+v", ms[0])
	}
}

// customersFunc adapts a function to engine.Customers.
type customersFunc func(id string) (recoup.Customer, error)

func (f customersFunc) Customer(_ context.Context, id string) (recoup.Customer, error) { return f(id) }

func TestCustomerIsReadForTheRenderer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answer  error
		wantErr bool
		want    recoup.Customer
	}{
		{"found", nil, false, recoup.Customer{ID: "cus_1", Name: "Ada Lovelace", Locales: []string{"fr-FR", "en"}}},
		{"deleted: written to without a name", recoup.Errorf(recoup.ENOTFOUND, "deleted"), false, recoup.Customer{ID: "cus_1"}},
		{"Stripe down: the job is retried", recoup.Errorf(recoup.EUNAVAILABLE, "stripe: 503"), true, recoup.Customer{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, campaignPolicy)
			var got []recoup.Customer
			h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(),
				Customers: customersFunc(func(id string) (recoup.Customer, error) {
					if tc.answer != nil {
						return recoup.Customer{}, tc.answer
					}
					return recoup.Customer{ID: id, Name: "Ada Lovelace", Locales: []string{"fr-FR", "en"}}, nil
				}),
				Renderer: rendererFunc(func(d engine.Draft) (engine.Content, error) {
					got = append(got, d.Customer)
					return engine.Content{Subject: "S", Text: "T"}, nil
				})})
			h.gw.failRenewal("in_1", "cus_1", 2500, expired)
			h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
			j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
			if err := h.run(j); err != nil {
				t.Fatal(err)
			}
			j, _ = h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobMessage })
			err := h.run(j)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			if tc.wantErr {
				if len(got) != 0 || len(h.messages(h.caseOf("in_1"))) != 0 {
					t.Fatal("a message was written without the customer")
				}
				return
			}
			if len(got) != 1 || got[0].ID != tc.want.ID || got[0].Name != tc.want.Name || len(got[0].Locales) != len(tc.want.Locales) {
				t.Errorf("draft customer %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The end of the policy's grace period is announced to the merchant while the invoice is
// unpaid, and not at all once it is paid.
func TestGraceEndEmitsItsEvent(t *testing.T) {
	for _, paid := range []bool{false, true} {
		h := newHarness(t, campaignPolicy+"grace_period: 5d\n")
		sink := &eventSink{}
		h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(), Lifecycle: sink})
		h.gw.failRenewal("in_1", "cus_1", 2500, expired)
		h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
		h.runDue()
		if paid {
			h.advance(24 * time.Hour)
			h.gw.payByCustomer("in_1", "pm_new")
			h.ingest("evt_2", "invoice.paid", "in_1", "cus_1")
		}
		h.advance(6 * 24 * time.Hour)
		var types []string
		var grace recoup.CaseEvent
		for _, ev := range sink.got {
			types = append(types, ev.Type)
			if ev.Type == recoup.CaseGraceEnded {
				grace = ev
			}
		}
		if got := strings.Contains(strings.Join(types, ","), recoup.CaseGraceEnded); got == paid {
			t.Fatalf("paid %v: events %v", paid, types)
		}
		if !paid && !grace.OccurredAt.Equal(h.caseOf("in_1").FirstFailedAt.Add(5*24*time.Hour)) {
			t.Errorf("grace ended at %s, want 5 days after the failure", grace.OccurredAt)
		}
	}
}
