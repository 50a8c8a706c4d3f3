package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

const campaignPolicy = testPolicy + `
campaign:
  hour: 9
  steps:
    - {day: 0, template: fix_card, tone: helpful, categories: [customer_fix]}
    - {day: 3, template: reminder, tone: gentle}
    - {day: 7, template: reminder, tone: urgent}
`

func (h *harness) messages(c recoup.Case) []recoup.Message {
	h.t.Helper()
	ms, err := h.store.Messages(h.ctx, c.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}

func TestCampaignStepsAreSentAtTheirTimeAndStopOnPayment(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.gw.script("in_1", insufficient, insufficient, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	if len(h.notes.sent) != 0 {
		t.Fatalf("the customer-fix step went to a funds case: %+v", h.notes.sent)
	}
	h.advance(4 * 24 * time.Hour) // past day 3 at 09:00
	if len(h.notes.sent) != 1 {
		t.Fatalf("sent %d messages by day 4, want 1", len(h.notes.sent))
	}
	m := h.notes.sent[0]
	if m.Step != 1 || m.Tone != "gentle" || m.Channel != "email" || m.InvoiceID != "in_1" || !strings.Contains(m.Text, "25.00 USD") {
		t.Fatalf("message %+v", m)
	}
	if at := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC); !h.messages(h.caseOf("in_1"))[0].SentAt.Equal(at) {
		t.Fatalf("sent at %v, want %v", h.messages(h.caseOf("in_1"))[0].SentAt, at)
	}
	h.gw.payByCustomer("in_1", "pm_new")
	h.ingest("evt_2", "invoice.paid", "in_1", "cus_1")
	h.advance(30 * 24 * time.Hour)
	c := h.wantState("in_1", recoup.StateRecovered)
	if len(h.notes.sent) != 1 || len(h.messages(c)) != 1 {
		t.Fatalf("messages went on after payment: %d sent", len(h.notes.sent))
	}
}

func TestCustomerFixGetsTheImmediateStep(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue() // failed at 14:00, after the campaign hour: the day-0 step goes at once
	if len(h.notes.sent) != 1 || h.notes.sent[0].Template != "fix_card" {
		t.Fatalf("sent %+v, want the fix_card step at once", h.notes.sent)
	}
	h.advance(8 * 24 * time.Hour)
	if len(h.notes.sent) != 3 {
		t.Fatalf("sent %d messages by day 8, want 3", len(h.notes.sent))
	}
	tl := dump(h.timeline(h.caseOf("in_1")))
	if !strings.Contains(tl, "message 2 sent by email") {
		t.Fatalf("timeline does not show the message:\n%s", tl)
	}
}

func TestMessageChannelErrors(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	// A temporary error, then success: the job's retry sends the same step once.
	h.notes.errs = []error{recoup.Errorf(recoup.EUNAVAILABLE, "smtp: 421 try later")}
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	j, _ = h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobMessage })
	if err := h.run(j); err == nil || !strings.Contains(err.Error(), "421") {
		t.Fatalf("a temporary channel error must fail the job so that it is retried; got %v", err)
	}
	if len(h.notes.sent) != 0 {
		t.Fatal("sent despite the error")
	}
	c := h.caseOf("in_1")
	ms := h.messages(c)
	if len(ms) != 1 || ms[0].Status != recoup.MessagePending || !strings.Contains(ms[0].Error, "421") {
		t.Fatalf("messages %+v", ms)
	}
	if err := h.eng.Message(h.ctx, h.now, c.ID, 0); err != nil { // River's retry
		t.Fatal(err)
	}
	if err := h.eng.Message(h.ctx, h.now, c.ID, 0); err != nil { // and a duplicate job
		t.Fatal(err)
	}
	if len(h.notes.sent) != 1 || h.messages(c)[0].Status != recoup.MessageSent {
		t.Fatalf("sent %d, status %s", len(h.notes.sent), h.messages(c)[0].Status)
	}
	// A permanent error (hard bounce) is recorded and the campaign moves on.
	h.notes.errs = []error{recoup.Errorf(recoup.EINVALID, "smtp: 550 no such user")}
	h.advance(4 * 24 * time.Hour)
	ms = h.messages(c)
	if len(ms) != 2 || ms[1].Status != recoup.MessageFailed || !strings.Contains(ms[1].Error, "550") {
		t.Fatalf("messages %+v", ms)
	}
}

// A send interrupted without an answer (the process died mid-send) may have reached the
// customer: it is not sent again.
func TestInterruptedMessageIsNotSentTwice(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	crashNext := true
	h.eng = h.withNotifier(func(m recoup.Message) error {
		if crashNext {
			crashNext = false
			panic(crash{})
		}
		return nil
	})
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	j, _ = h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobMessage })
	if !h.runCrashing(j) {
		t.Fatal("the send did not crash")
	}
	if h.runCrashing(j) { // River runs the job again after the crash
		t.Fatal("crashed twice")
	}
	ms := h.messages(h.caseOf("in_1"))
	if len(ms) != 1 || ms[0].Status != recoup.MessageFailed || !strings.Contains(ms[0].Error, "interrupted") {
		t.Fatalf("messages %+v", ms)
	}
}

func TestNoNotifierSkipsMessages(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.eng = h.withNotifier(nil)
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	ms := h.messages(h.caseOf("in_1"))
	if len(ms) != 1 || ms[0].Status != recoup.MessageSkipped {
		t.Fatalf("messages %+v", ms)
	}
}

// Found by the simulator: after the final action left the invoice past due, the customer
// cancels the subscription. The case closes and its messages stop.
func TestCancelledSubscriptionClosesAnExhaustedCase(t *testing.T) {
	h := newHarness(t, strings.Replace(campaignPolicy, "final_action: cancel_subscription", "final_action: leave_past_due", 1))
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(11 * 24 * time.Hour) // customer_wait is 10d
	h.wantState("in_1", recoup.StateExhausted)
	sent := len(h.notes.sent)
	h.ingest("evt_2", "customer.subscription.deleted", "sub_in_1", "cus_1")
	h.advance(30 * 24 * time.Hour)
	c := h.wantState("in_1", recoup.StateClosed)
	if len(h.notes.sent) != sent {
		t.Fatalf("%d messages after the subscription was cancelled", len(h.notes.sent)-sent)
	}
	if c.ClosedReason != "the subscription was cancelled" {
		t.Fatalf("closed: %q", c.ClosedReason)
	}
}
