package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// A case the policy marks (500.00 or more) alerts the team by email when it opens and a day
// before its final action, once each, written on the case; a smaller case alerts nobody.
func TestTeamAlertByEmail(t *testing.T) {
	h := newHarness(t, testPolicy+"team_alert: {above: 50000, to: [ops@example.com, cfo@example.com], before_final: 24h}\n")
	h.gw.failRenewal("in_big", "cus_1", 60000, expired)
	h.gw.failRenewal("in_small", "cus_2", 4900, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_big", "cus_1")
	h.ingest("evt_2", "invoice.payment_failed", "in_small", "cus_2")
	h.runDue()
	alerts := func() []recoup.Message {
		var out []recoup.Message
		for _, m := range h.notes.sent {
			if m.Template == recoup.TeamAlertTemplate {
				out = append(out, m)
			}
		}
		return out
	}
	got := alerts()
	if len(got) != 2 || got[0].To != "ops@example.com" || got[1].To != "cfo@example.com" || got[0].InvoiceID != "in_big" ||
		!strings.Contains(got[0].Subject, "600.00 USD") || !strings.Contains(got[0].Text, "in_big") {
		t.Fatalf("alerts when the case opened: %+v", got)
	}
	c := h.caseOf("in_big")
	final := c.NextAction.At // an expired card waits for the customer, then the final action
	h.advance(final.Sub(h.now) - 25*time.Hour)
	if n := len(alerts()); n != 2 {
		t.Fatalf("%d alerts more than a day before the final action", n-2)
	}
	h.advance(2 * time.Hour)
	got = alerts()
	if len(got) != 4 || !strings.Contains(got[2].Text, "final action (cancel_subscription) is due") {
		t.Fatalf("alerts before the final action: %+v", got)
	}
	h.advance(3 * 24 * time.Hour)
	h.wantState("in_big", recoup.StateExhausted)
	if n := len(alerts()); n != 4 {
		t.Errorf("%d alerts in all, want 4", n)
	}
	tl := dump(h.timeline(c))
	for _, want := range []string{"team alerted by email to ops@example.com, cfo@example.com: the case opened", "team alerted by email to ops@example.com, cfo@example.com: its final action (cancel_subscription) is due"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline does not say %q:\n%s", want, tl)
		}
	}
	// A re-run of the job sends nothing again.
	if err := h.eng.Lifecycle(h.ctx, h.now, c.ID, "team_alert.opened"); err != nil || len(alerts()) != 4 {
		t.Errorf("re-run: %v, %d alerts", err, len(alerts()))
	}
}

// By the signed outgoing webhook: a case.team_alert event with the alert's moment.
func TestTeamAlertByWebhook(t *testing.T) {
	h := newHarness(t, testPolicy+"team_alert: {above: 0}\n")
	sink := &eventSink{}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(), Lifecycle: sink})
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	var alerts []recoup.CaseEvent
	for _, ev := range sink.got {
		if ev.Type == recoup.CaseTeamAlert {
			alerts = append(alerts, ev)
		}
	}
	if len(alerts) != 1 || alerts[0].Alert != "opened" || alerts[0].ID != "recoup-case-1-in_1-case.team_alert-opened" {
		t.Fatalf("team alert events: %+v", alerts)
	}
}
