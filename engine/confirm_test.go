package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// withConfirmation returns the harness's engine with "payment received" messages on email.
func (h *harness) withConfirmation() {
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(), Confirmation: "email"})
}

func TestPaymentReceivedIsSentOnceToACustomerWhoWasTold(t *testing.T) {
	for _, tc := range []struct {
		name    string
		told    bool // the campaign wrote to the customer before the payment
		confirm bool
		want    int // confirmations sent
	}{
		{"told, confirmations on", true, true, 1},
		{"never told: nothing to confirm", false, true, 0},
		{"confirmations off", true, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, campaignPolicy)
			if tc.confirm {
				h.withConfirmation()
			}
			h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
			h.gw.script("in_1", insufficient, insufficient, insufficient)
			h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
			h.runDue()
			if tc.told {
				h.advance(4 * 24 * time.Hour) // the day-3 step
			}
			h.gw.payByCustomer("in_1", "pm_new")
			h.ingest("evt_2", "invoice.paid", "in_1", "cus_1")
			// The paid event again, a webhook redelivered under another id: still one message.
			h.ingest("evt_3", "invoice.paid", "in_1", "cus_1")
			h.runDue()
			c := h.wantState("in_1", recoup.StateRecovered)
			// Running the confirmation job again (a retry, a second process) sends nothing more.
			if err := h.eng.Message(h.ctx, h.now, c.ID, recoup.StepConfirmation); err != nil {
				t.Fatal(err)
			}
			h.advance(30 * 24 * time.Hour)
			var got []recoup.Message
			for _, m := range h.notes.sent {
				if m.Step == recoup.StepConfirmation {
					got = append(got, m)
				}
			}
			if len(got) != tc.want {
				t.Fatalf("sent %d confirmations, want %d: %+v", len(got), tc.want, h.notes.sent)
			}
			if tc.want == 1 {
				m := got[0]
				if m.Template != engine.TemplatePaymentReceived || m.Channel != "email" || !strings.Contains(m.Subject, "Payment received") {
					t.Errorf("confirmation %+v", m)
				}
				stored := h.messages(c)
				if last := stored[len(stored)-1]; last.Step != recoup.StepConfirmation || last.Status != recoup.MessageSent {
					t.Errorf("stored %+v", stored)
				}
			}
		})
	}
}

// A case that is not recovered gets no confirmation, whatever runs the job.
func TestNoConfirmationForAnOpenCase(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.withConfirmation()
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.caseOf("in_1")
	if err := h.eng.Message(h.ctx, h.now, c.ID, recoup.StepConfirmation); err != nil {
		t.Fatal(err)
	}
	for _, m := range h.messages(c) {
		if m.Step == recoup.StepConfirmation {
			t.Fatalf("an open case got a confirmation: %+v", m)
		}
	}
}

// The customer pays while recoup's first message to them is on its way (the channel has it,
// its answer is not recorded yet), and the confirmation runs meanwhile on another worker: the
// customer was told, and is thanked.
func TestPaymentReceivedWhileTheFirstMessageIsOnItsWay(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	var sent []recoup.Message
	paid := false
	send := func(m recoup.Message) error {
		if m.Step == 0 && !paid {
			paid = true
			h.gw.payByCustomer("in_1", "pm_new")
			h.ingest("evt_2", "invoice.paid", "in_1", "cus_1")
			h.runDue() // the paid event and the confirmation, before this send returns
		}
		sent = append(sent, m)
		return nil
	}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: notifierFunc(send), Policy: h.eng.Policy(), Confirmation: "email"})
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.wantState("in_1", recoup.StateRecovered)
	if !paid {
		t.Fatal("the first message was not sent")
	}
	h.advance(30 * 24 * time.Hour)
	n := 0
	for _, m := range sent {
		if m.Step == recoup.StepConfirmation {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("sent %d confirmations, want 1: %+v", n, sent)
	}
	if ms := h.messages(c); ms[len(ms)-1].Step != recoup.StepConfirmation || ms[len(ms)-1].Status != recoup.MessageSent {
		t.Errorf("stored %+v", ms)
	}
}
