package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// analyticsCase is a case opened at base+openedAfter, resolved resolvedAfter later (0: not).
func analyticsCase(n int, state recoup.CaseState, cat recoup.Category, by recoup.RecoveredBy, amount int64, cur string, openedAfter, resolvedAfter time.Duration) recoup.Case {
	c := minimalCase(fmt.Sprintf("in_analytics_%d", n), "cus_a")
	c.CustomerEmail = fmt.Sprintf("Person%d@Example.com", n%2)
	c.State, c.Category, c.RecoveredBy = state, cat, by
	c.Amount = recoup.Money{Amount: amount, Currency: cur}
	c.CreatedAt = base.Add(openedAfter)
	c.FirstFailedAt = c.CreatedAt
	if resolvedAfter > 0 {
		c.ResolvedAt = c.CreatedAt.Add(resolvedAfter)
	}
	return c
}

func testAnalytics(t *testing.T, s recoup.Store) {
	ctx := t.Context()
	as, ok := s.(recoup.AnalyticsStore)
	if !ok {
		t.Fatalf("%T does not implement recoup.AnalyticsStore", s)
	}
	day := 24 * time.Hour
	cases := []recoup.Case{
		analyticsCase(1, recoup.StateRecovered, recoup.CategoryFunds, recoup.ByRecoupRetry, 1000, "usd", 0, 2*time.Hour),
		analyticsCase(2, recoup.StateRecovered, recoup.CategoryFunds, recoup.ByCustomerPaid, 3000, "usd", time.Hour, 5*day),
		analyticsCase(3, recoup.StateScheduled, recoup.CategoryIssuerSoft, "", 500, "usd", 2*time.Hour, 0),
		analyticsCase(4, recoup.StateExhausted, recoup.CategoryHard, "", 700, "usd", 3*time.Hour, 30*day),
		analyticsCase(5, recoup.StateRecovered, recoup.CategoryFunds, recoup.ByRecoupRetry, 9000, "jpy", 4*time.Hour, 40*day),
		analyticsCase(6, recoup.StateRecovered, recoup.CategoryFunds, recoup.ByRecoupRetry, 99999, "usd", -time.Hour, time.Hour), // before the period
		analyticsCase(7, recoup.StateClosed, recoup.CategoryFunds, "", 88888, "usd", 7*day, time.Hour),                           // after it
	}
	for i := range cases {
		cases[i] = createCase(t, s, cases[i])
	}
	mustTx(t, s, func(tx recoup.Tx) error {
		for i, st := range []recoup.MessageStatus{recoup.MessageSent, recoup.MessageSent, recoup.MessageFailed} {
			m := &recoup.Message{CaseID: cases[0].ID, Step: i, Channel: "email", Status: st, CreatedAt: base.Add(time.Duration(i) * time.Hour)}
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		m := &recoup.Message{CaseID: cases[0].ID, Step: 9, Channel: "email", Status: recoup.MessageSent, CreatedAt: base.Add(-time.Hour)}
		return tx.InsertMessage(m)
	})

	o, err := as.Overview(ctx, base, base.Add(7*day))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Currencies) != 2 || o.Currencies[0].Currency != "jpy" || o.Currencies[1].Currency != "usd" {
		t.Fatalf("currencies: want jpy (larger failed amount) then usd, got %+v", o.Currencies)
	}
	usd := o.Currencies[1]
	wantEqual(t, "usd failed", recoup.Tally{Count: 4, Amount: 5200}, usd.Failed)
	wantEqual(t, "usd recovered", recoup.Tally{Count: 2, Amount: 4000}, usd.Recovered)
	wantEqual(t, "usd in recovery", recoup.Tally{Count: 1, Amount: 500}, usd.InRecovery)
	wantEqual(t, "usd lost", recoup.Tally{Count: 1, Amount: 700}, usd.Lost)
	wantEqual(t, "usd by mechanism", map[recoup.RecoveredBy]recoup.Tally{
		recoup.ByRecoupRetry: {Count: 1, Amount: 1000}, recoup.ByCustomerPaid: {Count: 1, Amount: 3000}}, usd.ByMechanism)
	wantEqual(t, "usd funds", recoup.CategoryTally{Failed: recoup.Tally{Count: 2, Amount: 4000}, Recovered: recoup.Tally{Count: 2, Amount: 4000}},
		usd.ByCategory[recoup.CategoryFunds])
	if got := usd.RateByCount(); got != 0.5 {
		t.Errorf("usd rate by count: want 0.5, got %v", got)
	}
	var ttr []int64
	for _, b := range o.TimeToRecovery {
		ttr = append(ttr, b.Count)
	}
	wantEqual(t, "time to recovery buckets", []int64{1, 0, 1, 0, 0, 1}, ttr)
	wantEqual(t, "messages", map[recoup.MessageStatus]int64{recoup.MessageSent: 2, recoup.MessageFailed: 1}, o.Messages)

	// Whole UTC days only (the rollups): case 6, opened an hour before base, is on base's day.
	midnight := base.UTC().Truncate(day)
	aligned, err := as.Overview(ctx, midnight, midnight.Add(7*day))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "usd failed over whole days", recoup.Tally{Count: 5, Amount: 5200 + 99999}, currencyOf(t, aligned, "usd").Failed)

	// Updates move the counts: case 3 is paid by recoup's charge on the customer's new card, a
	// failed message is resent.
	mustTx(t, s, func(tx recoup.Tx) error {
		c, err := tx.Case(cases[2].ID)
		if err != nil {
			return err
		}
		c.State, c.RecoveredBy, c.ResolvedAt = recoup.StateRecovered, recoup.ByCustomerNewCard, c.CreatedAt.Add(30*time.Hour)
		if err := tx.UpdateCase(&c); err != nil {
			return err
		}
		ms, err := tx.Messages(cases[0].ID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Status == recoup.MessageFailed {
				m.Status = recoup.MessageSent
				if err := tx.UpdateMessage(&m); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for _, p := range []struct {
		name     string
		from, to time.Time
	}{
		{"edges and days", base, base.Add(7 * day)}, {"whole days", midnight.Add(day), midnight.Add(8 * day)},
	} {
		o, err := as.Overview(ctx, p.from, p.to)
		if err != nil {
			t.Fatal(err)
		}
		if p.name == "whole days" {
			// Only case 7 (a week later) is in these days.
			wantEqual(t, p.name+": usd failed", recoup.Tally{Count: 1, Amount: 88888}, currencyOf(t, o, "usd").Failed)
			continue
		}
		usd = currencyOf(t, o, "usd")
		wantEqual(t, p.name+": usd recovered after the update", recoup.Tally{Count: 3, Amount: 4500}, usd.Recovered)
		wantEqual(t, p.name+": usd in recovery after the update", recoup.Tally{}, usd.InRecovery)
		wantEqual(t, p.name+": by mechanism after the update", map[recoup.RecoveredBy]recoup.Tally{
			recoup.ByRecoupRetry: {Count: 1, Amount: 1000}, recoup.ByCustomerPaid: {Count: 1, Amount: 3000},
			recoup.ByCustomerNewCard: {Count: 1, Amount: 500}}, usd.ByMechanism)
		ttr = nil
		for _, b := range o.TimeToRecovery {
			ttr = append(ttr, b.Count)
		}
		wantEqual(t, p.name+": time to recovery after the update", []int64{1, 1, 1, 0, 0, 1}, ttr)
		wantEqual(t, p.name+": messages after the update", map[recoup.MessageStatus]int64{recoup.MessageSent: 3}, o.Messages)
	}

	empty, err := as.Overview(ctx, base.Add(-100*day), base.Add(-99*day))
	if err != nil || len(empty.Currencies) != 0 {
		t.Fatalf("empty period: want no currencies, got %+v, %v", empty.Currencies, err)
	}

	ids := func(q recoup.CaseQuery) []int64 {
		t.Helper()
		page, err := as.SearchCases(ctx, q)
		if err != nil {
			t.Fatalf("SearchCases(%+v): %v", q, err)
		}
		out := []int64{}
		for _, c := range page.Cases {
			out = append(out, c.ID)
		}
		return out
	}
	id := func(n int) int64 { return cases[n-1].ID }
	for _, tc := range []struct {
		name string
		q    recoup.CaseQuery
		want []int64
	}{
		{"all", recoup.CaseQuery{}, []int64{id(7), id(6), id(5), id(4), id(3), id(2), id(1)}},
		{"state", recoup.CaseQuery{States: []recoup.CaseState{recoup.StateRecovered}}, []int64{id(6), id(5), id(3), id(2), id(1)}},
		{"states", recoup.CaseQuery{States: []recoup.CaseState{recoup.StateExhausted, recoup.StateClosed}}, []int64{id(7), id(4)}},
		{"category and mechanism", recoup.CaseQuery{Category: recoup.CategoryFunds, RecoveredBy: recoup.ByRecoupRetry}, []int64{id(6), id(5), id(1)}},
		{"currency", recoup.CaseQuery{Currency: "JPY"}, []int64{id(5)}},
		{"amount range", recoup.CaseQuery{MinAmount: 600, MaxAmount: 3000}, []int64{id(4), id(2), id(1)}},
		{"opened in", recoup.CaseQuery{CreatedFrom: base.Add(time.Hour), CreatedTo: base.Add(3 * time.Hour)}, []int64{id(3), id(2)}},
		{"email, any case", recoup.CaseQuery{CustomerEmail: "person1@example.COM"}, []int64{id(7), id(5), id(3), id(1)}},
		{"page", recoup.CaseQuery{Before: id(5), Limit: 2}, []int64{id(4), id(3)}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantEqual(t, "ids", tc.want, ids(tc.q)) })
	}
	page, err := as.SearchCases(ctx, recoup.CaseQuery{Limit: 2})
	if err != nil || page.Next != id(6) {
		t.Fatalf("first page of 2: want next %d, got %d (%v)", id(6), page.Next, err)
	}
	_, err = as.SearchCases(ctx, recoup.CaseQuery{States: []recoup.CaseState{"nope"}})
	wantCode(t, err, recoup.EINVALID)
	// The count is of every page, whatever the cursor, and stops at its bound.
	for _, tc := range []struct {
		name string
		q    recoup.CaseQuery
		want int64
	}{
		{"count of a filter", recoup.CaseQuery{States: []recoup.CaseState{recoup.StateRecovered}, Limit: 2, CountUpTo: 100}, 5},
		{"count past the cursor", recoup.CaseQuery{Before: id(5), Limit: 1, CountUpTo: 100}, 7},
		{"count bounded", recoup.CaseQuery{CountUpTo: 3}, 3},
		{"no count asked", recoup.CaseQuery{}, 0},
	} {
		page, err := as.SearchCases(ctx, tc.q)
		if err != nil || page.Total != tc.want {
			t.Fatalf("%s: want total %d, got %d (%v)", tc.name, tc.want, page.Total, err)
		}
	}

	st, err := as.Intake(ctx)
	if err != nil || !st.LastReceivedAt.IsZero() {
		t.Fatalf("intake with no events: %+v, %v", st, err)
	}
	mustTx(t, s, func(tx recoup.Tx) error {
		for i, status := range []recoup.EventStatus{recoup.EventProcessed, recoup.EventFailed, recoup.EventPending} {
			ev := &recoup.Event{ID: fmt.Sprintf("evt_%d", i), Type: fmt.Sprintf("type.%d", i), Payload: []byte("{}"),
				Origin: recoup.OriginWebhook, ReceivedAt: base.Add(time.Duration(i) * time.Minute), Status: status}
			if _, err := tx.InsertEvent(ev); err != nil {
				return err
			}
		}
		return nil
	})
	st, err = as.Intake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "intake", recoup.IntakeStatus{LastReceivedAt: stored(base.Add(2 * time.Minute)), LastType: "type.2", Pending: 1, Failed: 1,
		OldestPendingAt: stored(base.Add(2 * time.Minute))}, st)
}

// currencyOf returns the overview's section of the currency.
func currencyOf(t *testing.T, o recoup.Overview, currency string) recoup.CurrencyOverview {
	t.Helper()
	for _, c := range o.Currencies {
		if c.Currency == currency {
			return c
		}
	}
	t.Fatalf("no %s in the overview: %+v", currency, o.Currencies)
	return recoup.CurrencyOverview{}
}

// testRecoveryBuckets checks the time-to-recovery buckets around their bounds, read from the
// rollups (whole days) and from the rows (the hours at a period's edges) alike; the overview's
// cohort chart reads recoveries within 7, 14 and 30 days from them.
func testRecoveryBuckets(t *testing.T, s recoup.Store) {
	as := s.(recoup.AnalyticsStore)
	day := 24 * time.Hour
	for i, after := range []time.Duration{7*day - time.Minute, 7 * day, 27 * day, 29 * day, 30 * day, 31 * day} {
		createCase(t, s, analyticsCase(100+i, recoup.StateRecovered, recoup.CategoryFunds, recoup.ByRecoupRetry, 100, "usd", time.Hour, after))
	}
	midnight := base.UTC().Truncate(day)
	for _, p := range []struct {
		name     string
		from, to time.Time
	}{{"whole days", midnight, midnight.Add(day)}, {"edges", base, base.Add(day)}} {
		o, err := as.Overview(t.Context(), p.from, p.to)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, b := range o.TimeToRecovery {
			got = append(got, b.Count)
		}
		// < 1 day, 1-3 days, 3-7 days, 1-2 weeks, 2 weeks-30 days, > 30 days
		wantEqual(t, p.name+": buckets", []int64{0, 0, 1, 1, 2, 2}, got)
	}
}
