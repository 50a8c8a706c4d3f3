package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func TestOperatorActions(t *testing.T) {
	const who = "ops@example.com"
	open := func(t *testing.T, d *recoup.Decline) (*harness, recoup.Case) {
		h := newHarness(t, testPolicy)
		h.gw.failRenewal("in_1", "cus_1", 2500, d)
		h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
		h.runDue()
		return h, h.caseOf("in_1")
	}
	wantTimeline := func(t *testing.T, h *harness, c recoup.Case, want string) {
		t.Helper()
		if tl := dump(h.timeline(c)); !strings.Contains(tl, want) {
			t.Fatalf("timeline does not say %q:\n%s", want, tl)
		}
	}

	t.Run("retry now charges at once", func(t *testing.T) {
		h, c := open(t, insufficient)
		h.gw.script("in_1", nil) // the next charge pays
		if err := h.eng.RetryNow(h.ctx, h.now, c.ID, who); err != nil {
			t.Fatal(err)
		}
		h.runDue() // no time passes
		c = h.wantState("in_1", recoup.StateRecovered)
		if c.RecoveredBy != recoup.ByRecoupRetry || h.gw.charges["in_1"] != 1 {
			t.Fatalf("recovered by %s after %d charges", c.RecoveredBy, h.gw.charges["in_1"])
		}
		wantTimeline(t, h, c, "operator "+who+" asked to retry now")
	})

	t.Run("retry now refused by the network guard", func(t *testing.T) {
		h, c := open(t, mcDecline)
		// The customer fails 9 more times on the hosted page: 10 Mastercard declines in 24 h.
		for i := range 9 {
			h.declineOnHostedPage("in_1", "evt_hosted_"+string(rune('a'+i)), mcDecline)
		}
		before := h.caseOf("in_1")
		err := h.eng.RetryNow(h.ctx, h.now, c.ID, who)
		if recoup.ErrorCode(err) != recoup.ECONFLICT || !strings.Contains(err.Error(), "network guard") {
			t.Fatalf("RetryNow: want a conflict naming the network guard, got %v", err)
		}
		if after := h.caseOf("in_1"); after.Version != before.Version {
			t.Fatalf("a refused action changed the case: version %d -> %d", before.Version, after.Version)
		}
	})

	t.Run("skip to final runs the final action", func(t *testing.T) {
		h, c := open(t, insufficient)
		if err := h.eng.SkipToFinal(h.ctx, h.now, c.ID, who); err != nil {
			t.Fatal(err)
		}
		h.runDue()
		c = h.wantState("in_1", recoup.StateExhausted)
		if len(h.gw.canceled) != 1 || h.gw.charges["in_1"] != 0 {
			t.Fatalf("canceled %v, charges %d", h.gw.canceled, h.gw.charges["in_1"])
		}
		wantTimeline(t, h, c, "operator "+who+" skipped to the final action")
	})

	t.Run("mark resolved, then nothing more", func(t *testing.T) {
		h, c := open(t, insufficient)
		if err := h.eng.MarkResolved(h.ctx, h.now, c.ID, who, "paid by bank transfer"); err != nil {
			t.Fatal(err)
		}
		h.advance(60 * 24 * time.Hour)
		c = h.wantState("in_1", recoup.StateRecovered)
		if c.RecoveredBy != recoup.ByOutOfBand || h.gw.charges["in_1"] != 0 {
			t.Fatalf("recovered by %s after %d charges", c.RecoveredBy, h.gw.charges["in_1"])
		}
		wantTimeline(t, h, c, "paid by bank transfer")
		for _, err := range []error{
			h.eng.MarkResolved(h.ctx, h.now, c.ID, who, ""),
			h.eng.RetryNow(h.ctx, h.now, c.ID, who),
			h.eng.SkipToFinal(h.ctx, h.now, c.ID, who),
		} {
			if recoup.ErrorCode(err) != recoup.ECONFLICT {
				t.Errorf("action on a recovered case: want a conflict, got %v", err)
			}
		}
	})

	t.Run("pause holds everything until resume", func(t *testing.T) {
		h := newHarness(t, campaignPolicy)
		h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
		h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
		h.runDue()
		c := h.caseOf("in_1")
		planned := *c.NextAction
		if err := h.eng.Pause(h.ctx, h.now, c.ID, who); err != nil {
			t.Fatal(err)
		}
		h.advance(20 * 24 * time.Hour) // past every retry, message and the final action's time
		c = h.wantState("in_1", recoup.StatePaused)
		if h.gw.charges["in_1"] != 0 || len(h.gw.calls) != 0 || len(h.notes.sent) != 0 {
			t.Fatalf("a paused case was acted on: %d charges, %d messages", h.gw.charges["in_1"], len(h.notes.sent))
		}
		for _, err := range []error{h.eng.RetryNow(h.ctx, h.now, c.ID, who), h.eng.SkipToFinal(h.ctx, h.now, c.ID, who), h.eng.Pause(h.ctx, h.now, c.ID, who)} {
			if recoup.ErrorCode(err) != recoup.ECONFLICT {
				t.Errorf("action on a paused case: want a conflict, got %v", err)
			}
		}
		wantTimeline(t, h, c, "operator "+who+" paused recovery")

		h.gw.script("in_1", insufficient, nil) // the first charge after resuming fails, the next pays
		if err := h.eng.Resume(h.ctx, h.now, c.ID, who); err != nil {
			t.Fatal(err)
		}
		c = h.caseOf("in_1")
		if c.State != recoup.StateScheduled || c.NextAction == nil || c.NextAction.Seq <= planned.Seq {
			t.Fatalf("resumed case %s, next %+v; want a new plan after %+v", c.State, c.NextAction, planned)
		}
		h.runDue()
		// Both reminders fell due during the pause: only the latest goes out.
		if len(h.notes.sent) != 1 || h.notes.sent[0].Tone != "urgent" {
			t.Fatalf("messages after resume: %+v, want the day-7 reminder only", h.notes.sent)
		}
		h.advance(30 * 24 * time.Hour)
		c = h.wantState("in_1", recoup.StateRecovered)
		wantTimeline(t, h, c, "operator "+who+" resumed recovery")
		if recoup.ErrorCode(h.eng.Resume(h.ctx, h.now, c.ID, who)) != recoup.ECONFLICT {
			t.Error("resume of a recovered case: want a conflict")
		}
	})

	t.Run("a paused case still sees the payment", func(t *testing.T) {
		h, c := open(t, insufficient)
		if err := h.eng.Pause(h.ctx, h.now, c.ID, who); err != nil {
			t.Fatal(err)
		}
		h.gw.payByCustomer("in_1", "pm_new")
		h.ingest("evt_paid", "invoice.paid", "in_1", "cus_1")
		h.runDue()
		if c = h.wantState("in_1", recoup.StateRecovered); c.RecoveredBy != recoup.ByCustomerPaid {
			t.Fatalf("recovered by %s", c.RecoveredBy)
		}
	})

	t.Run("unknown case", func(t *testing.T) {
		h, _ := open(t, insufficient)
		if err := h.eng.RetryNow(h.ctx, h.now, 999, who); !recoup.IsNotFound(err) {
			t.Fatalf("want not found, got %v", err)
		}
	})
}
