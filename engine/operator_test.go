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

	t.Run("unknown case", func(t *testing.T) {
		h, _ := open(t, insufficient)
		if err := h.eng.RetryNow(h.ctx, h.now, 999, who); !recoup.IsNotFound(err) {
			t.Fatalf("want not found, got %v", err)
		}
	})
}
