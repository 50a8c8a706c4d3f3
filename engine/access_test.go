package engine_test

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// The access signal follows a customer through a case: good standing, grace within the
// policy's grace period, restricted after it (grace_ends_at and restricted_since say when),
// and good standing again once paid; each lifecycle event carries it, and case.grace_ended
// says restricted.
func TestAccessSignal(t *testing.T) {
	h := newHarness(t, testPolicy+"grace_period: 5d\n")
	sink := &eventSink{}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(), Lifecycle: sink})
	access := func() recoup.AccessSignal {
		t.Helper()
		a, err := h.eng.Access(h.ctx, h.now, "cus_1")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := access(); a.Status != recoup.StandingGood || a.CaseID != 0 {
		t.Fatalf("before any failure: %+v", a)
	}
	failed := h.now
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.caseOf("in_1")
	a := access()
	if a.Status != recoup.StandingGrace || a.CaseID != c.ID || a.InvoiceID != "in_1" || !a.GraceEndsAt.Equal(failed.Add(5*24*time.Hour)) || a.Amount.Amount != 2500 {
		t.Fatalf("in grace: %+v", a)
	}
	if len(sink.got) == 0 || sink.got[0].Access == nil || sink.got[0].Access.Status != recoup.StandingGrace {
		t.Fatalf("case.opened does not announce the grace: %+v", sink.got)
	}
	h.advance(5*24*time.Hour + time.Minute)
	a = access()
	if a.Status != recoup.StandingRestricted || !a.RestrictedSince.Equal(failed.Add(5*24*time.Hour)) {
		t.Fatalf("after the grace period: %+v", a)
	}
	var ended *recoup.CaseEvent
	for i := range sink.got {
		if sink.got[i].Type == recoup.CaseGraceEnded {
			ended = &sink.got[i]
		}
	}
	if ended == nil || ended.Access == nil || ended.Access.Status != recoup.StandingRestricted {
		t.Fatalf("case.grace_ended: %+v", ended)
	}
	h.gw.payByCustomer("in_1", "pm_new")
	h.ingest("evt_2", "invoice.paid", "in_1", "cus_1")
	h.runDue()
	if a := access(); a.Status != recoup.StandingGood {
		t.Fatalf("after payment: %+v", a)
	}
	last := sink.got[len(sink.got)-1]
	if last.Type != recoup.CaseRecovered || last.Access == nil || last.Access.Status != recoup.StandingGood {
		t.Fatalf("case.recovered: %+v", last)
	}
	if a, _ := h.eng.Access(h.ctx, h.now, "cus_other"); a.Status != recoup.StandingGood {
		t.Errorf("another customer: %+v", a)
	}
}

// Without a grace period access is kept while recovery runs, and restricted once it gives up.
func TestAccessWithoutGracePeriod(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	if a, _ := h.eng.Access(h.ctx, h.now, "cus_1"); a.Status != recoup.StandingGrace || !a.GraceEndsAt.IsZero() {
		t.Fatalf("while recovery runs: %+v", a)
	}
	h.advance(30 * 24 * time.Hour)
	c := h.wantState("in_1", recoup.StateExhausted)
	if a, _ := h.eng.Access(h.ctx, h.now, "cus_1"); a.Status != recoup.StandingRestricted || !a.RestrictedSince.Equal(c.ResolvedAt) {
		t.Fatalf("once recovery gave up: %+v (resolved %v)", a, c.ResolvedAt)
	}
}
