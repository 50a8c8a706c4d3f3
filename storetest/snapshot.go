package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// testAnalyticsSnapshot specifies that ReadAnalytics reads one snapshot: a case opened and an
// event received from another connection while the read is open are in none of its figures,
// and a read begun afterwards sees them. Without it the overview showed more failed cases
// than its by-segment figures added up to, read a moment later.
func testAnalyticsSnapshot(t *testing.T, s recoup.Store) {
	ctx := t.Context()
	as := s.(recoup.AnalyticsStore)
	day := 24 * time.Hour
	segmented := func(n int, segment string, openedAfter time.Duration) recoup.Case {
		c := analyticsCase(n, recoup.StateScheduled, recoup.CategoryFunds, "", 1000, "usd", openedAfter, 0)
		c.Segment = segment
		return c
	}
	// One case at the period's first edge, read from the rows, one in a whole day, read from
	// the rollups; the period ends in the middle of a day, read from the rows again.
	createCase(t, s, segmented(1, "enterprise", 0))
	createCase(t, s, segmented(2, "default", day))
	from, to := base, base.Add(3*day)
	event := func(n int) *recoup.Event {
		return &recoup.Event{ID: fmt.Sprintf("evt_snapshot_%d", n), Type: "invoice.payment_failed", Payload: []byte("{}"),
			Origin: recoup.OriginWebhook, ReceivedAt: base.Add(time.Duration(n) * time.Minute), Status: recoup.EventPending}
	}
	mustTx(t, s, func(tx recoup.Tx) error { _, err := tx.InsertEvent(event(1)); return err })

	err := as.ReadAnalytics(ctx, func(r recoup.AnalyticsReader) error {
		before, err := r.Overview(from, to)
		if err != nil {
			return err
		}
		intakeBefore, err := r.Intake()
		if err != nil {
			return err
		}
		// Another connection opens a case on each kind of day and receives an event, and
		// commits, while the read is open.
		mustTx(t, s, func(tx recoup.Tx) error {
			for i, c := range []recoup.Case{segmented(3, "enterprise", time.Hour), segmented(4, "default", day+time.Hour),
				segmented(5, "enterprise", 2*day+time.Hour)} {
				if err := tx.CreateCase(&c); err != nil {
					return fmt.Errorf("case %d: %w", i+3, err)
				}
			}
			_, err := tx.InsertEvent(event(0))
			return err
		})
		after, err := r.Overview(from, to)
		if err != nil {
			return err
		}
		intakeAfter, err := r.Intake()
		if err != nil {
			return err
		}
		wantEqual(t, "overview read again in the same snapshot", before, after)
		wantEqual(t, "intake read again in the same snapshot", intakeBefore, intakeAfter)
		wantFailedAddsUp(t, after)
		usd := currencyOf(t, after, "usd")
		wantEqual(t, "failed in the snapshot", recoup.Tally{Count: 2, Amount: 2000}, usd.Failed)
		wantEqual(t, "pending events in the snapshot", int64(1), intakeAfter.Pending)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadAnalytics: %v", err)
	}

	o, err := as.Overview(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	wantFailedAddsUp(t, o)
	wantEqual(t, "failed after the read", recoup.Tally{Count: 5, Amount: 5000}, currencyOf(t, o, "usd").Failed)
	st, err := as.Intake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "pending events after the read", int64(2), st.Pending)
	wantEqual(t, "oldest pending event after the read", stored(event(0).ReceivedAt), st.OldestPendingAt)
}

// wantFailedAddsUp fails the test unless each currency's failed cases are the sum of its
// segments' and of its categories'.
func wantFailedAddsUp(t *testing.T, o recoup.Overview) {
	t.Helper()
	for _, c := range o.Currencies {
		var bySegment, byCategory recoup.Tally
		for _, s := range c.BySegment {
			bySegment.Count, bySegment.Amount = bySegment.Count+s.Failed.Count, bySegment.Amount+s.Failed.Amount
		}
		for _, s := range c.ByCategory {
			byCategory.Count, byCategory.Amount = byCategory.Count+s.Failed.Count, byCategory.Amount+s.Failed.Amount
		}
		wantEqual(t, c.Currency+" failed, by segment", c.Failed, bySegment)
		wantEqual(t, c.Currency+" failed, by category", c.Failed, byCategory)
	}
}
