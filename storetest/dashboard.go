package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// testSegments specifies recovery by segment in the overview (rollups over whole days, the rows
// at a period's edges) and the case list's segment and review filters.
func testSegments(t *testing.T, s recoup.Store) {
	ctx := t.Context()
	as := s.(recoup.AnalyticsStore)
	day := 24 * time.Hour
	seg := func(c recoup.Case, segment string, review recoup.ReviewState) recoup.Case {
		c.Segment, c.Review = segment, review
		return c
	}
	cases := []recoup.Case{
		seg(analyticsCase(1, recoup.StateRecovered, recoup.CategoryFunds, recoup.ByRecoupRetry, 1000, "usd", 0, time.Hour), "enterprise", ""),
		seg(analyticsCase(2, recoup.StateScheduled, recoup.CategoryFunds, "", 3000, "usd", time.Hour, 0), "enterprise", recoup.ReviewPending),
		seg(analyticsCase(3, recoup.StateExhausted, recoup.CategoryHard, "", 500, "usd", 2*time.Hour, day), "default", recoup.ReviewApproved),
		seg(analyticsCase(4, recoup.StateScheduled, recoup.CategoryHard, "", 700, "usd", 2*day, 0), "default", recoup.ReviewPending),
		seg(analyticsCase(5, recoup.StateRecovered, recoup.CategoryFunds, recoup.ByCustomerPaid, 9000, "jpy", 3*day, time.Hour), "", ""),
	}
	for i := range cases {
		cases[i] = createCase(t, s, cases[i])
	}
	midnight := base.UTC().Truncate(day)
	check := func(name string, wantUSD, wantJPY map[string]recoup.CategoryTally) {
		t.Helper()
		for _, p := range []struct {
			name     string
			from, to time.Time
		}{{"edges and days", base.Add(-time.Minute), base.Add(5 * day)}, {"whole days", midnight, midnight.Add(5 * day)}} {
			o, err := as.Overview(ctx, p.from, p.to)
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, name+", "+p.name+": usd by segment", wantUSD, currencyOf(t, o, "usd").BySegment)
			wantEqual(t, name+", "+p.name+": jpy by segment", wantJPY, currencyOf(t, o, "jpy").BySegment)
		}
	}
	tally := func(n, amount int64) recoup.Tally { return recoup.Tally{Count: n, Amount: amount} }
	check("opened", map[string]recoup.CategoryTally{
		"enterprise": {Failed: tally(2, 4000), Recovered: tally(1, 1000)},
		"default":    {Failed: tally(2, 1200)},
	}, map[string]recoup.CategoryTally{"": {Failed: tally(1, 9000), Recovered: tally(1, 9000)}})

	// A case moved to another segment and recovered moves its counts.
	mustTx(t, s, func(tx recoup.Tx) error {
		c, err := tx.Case(cases[3].ID)
		if err != nil {
			return err
		}
		c.Segment, c.State, c.RecoveredBy, c.ResolvedAt, c.Review = "enterprise", recoup.StateRecovered, recoup.ByCustomerPaid, c.CreatedAt.Add(time.Hour), ""
		return tx.UpdateCase(&c)
	})
	check("updated", map[string]recoup.CategoryTally{
		"enterprise": {Failed: tally(3, 4700), Recovered: tally(2, 1700)},
		"default":    {Failed: tally(1, 500)},
	}, map[string]recoup.CategoryTally{"": {Failed: tally(1, 9000), Recovered: tally(1, 9000)}})

	id := func(n int) int64 { return cases[n-1].ID }
	for _, tc := range []struct {
		name string
		q    recoup.CaseQuery
		want []int64
	}{
		{"segment", recoup.CaseQuery{Segment: "enterprise"}, []int64{id(4), id(2), id(1)}},
		{"review pending", recoup.CaseQuery{ReviewPending: true}, []int64{id(2)}},
		{"segment and review pending", recoup.CaseQuery{Segment: "default", ReviewPending: true}, []int64{}},
		{"segment and state", recoup.CaseQuery{Segment: "enterprise", States: []recoup.CaseState{recoup.StateRecovered}}, []int64{id(4), id(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := as.SearchCases(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, c := range page.Cases {
				got = append(got, c.ID)
			}
			wantEqual(t, "ids", tc.want, got)
		})
	}
}

// testCampaignSteps specifies link clicks and the per-step click and update rates.
func testCampaignSteps(t *testing.T, s recoup.Store) {
	ctx := t.Context()
	cs, ok := s.(recoup.CampaignStore)
	if !ok {
		t.Fatalf("%T does not implement recoup.CampaignStore", s)
	}
	hour := time.Hour
	// Case 1: two steps sent; the customer clicks the second and pays: both steps count the
	// update, only the second the click. Case 2: step 0 sent and clicked, then the customer's
	// new card, which recoup charged, paid: an update too. Case 3: step 0 sent, paid by recoup's
	// charge on the card the card updater refreshed (not the customer's doing). Case 4: step 0
	// failed (not sent).
	cases := []recoup.Case{
		analyticsCase(1, recoup.StateScheduled, recoup.CategoryFunds, "", 1000, "usd", 0, 0),
		analyticsCase(2, recoup.StateScheduled, recoup.CategoryFunds, "", 1000, "usd", 0, 0),
		analyticsCase(3, recoup.StateScheduled, recoup.CategoryFunds, "", 1000, "usd", 0, 0),
		analyticsCase(4, recoup.StateScheduled, recoup.CategoryFunds, "", 1000, "usd", 0, 0),
	}
	for i := range cases {
		cases[i] = createCase(t, s, cases[i])
	}
	msg := func(c recoup.Case, step int, tmpl string, st recoup.MessageStatus, at time.Duration) *recoup.Message {
		m := &recoup.Message{CaseID: c.ID, InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Step: step, Channel: "email",
			Template: tmpl, Status: st, CreatedAt: base.Add(at)}
		if st == recoup.MessageSent {
			m.SentAt = base.Add(at)
		}
		return m
	}
	mustTx(t, s, func(tx recoup.Tx) error {
		for _, m := range []*recoup.Message{
			msg(cases[0], 0, "first", recoup.MessageSent, hour), msg(cases[0], 1, "second", recoup.MessageSent, 24*hour),
			msg(cases[1], 0, "first", recoup.MessageSent, hour), msg(cases[2], 0, "first", recoup.MessageSent, hour),
			msg(cases[3], 0, "first", recoup.MessageFailed, hour),
			msg(cases[0], recoup.StepConfirmation, "paid", recoup.MessageSent, 30*hour),
		} {
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	click := func(c recoup.Case, at time.Duration) {
		t.Helper()
		mustTx(t, s, func(tx recoup.Tx) error {
			cr, ok := tx.(recoup.ClickRecorder)
			if !ok {
				t.Fatalf("%T does not implement recoup.ClickRecorder", tx)
			}
			return cr.RecordClick(c.ID, base.Add(at))
		})
	}
	click(cases[0], 25*hour) // the latest campaign step: "second"
	click(cases[0], 26*hour)
	click(cases[1], 2*hour)
	click(cases[3], 2*hour) // nothing sent: nothing recorded
	resolve := func(c recoup.Case, by recoup.RecoveredBy, at time.Duration) {
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := tx.Case(c.ID)
			if err != nil {
				return err
			}
			got.State, got.RecoveredBy, got.ResolvedAt = recoup.StateRecovered, by, base.Add(at)
			return tx.UpdateCase(&got)
		})
	}
	resolve(cases[0], recoup.ByCustomerPaid, 27*hour)
	resolve(cases[1], recoup.ByCustomerNewCard, 3*hour)
	resolve(cases[2], recoup.ByCardUpdater, 3*hour)

	got, err := cs.CampaignSteps(ctx, base, base.Add(48*hour))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "campaign steps", []recoup.StepStats{
		{Template: "first", Step: 0, Sent: 3, Clicked: 1, RecoveredAfterClick: 1, Updated: 2},
		{Template: "second", Step: 1, Sent: 1, Clicked: 1, RecoveredAfterClick: 1, Updated: 1},
	}, got)
	if r := got[0].ClickRate(); r != 1.0/3 {
		t.Errorf("click rate of step 0: want 1/3, got %v", r)
	}
	later, err := cs.CampaignSteps(ctx, base.Add(2*hour), base.Add(48*hour))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "campaign steps of messages created later", []recoup.StepStats{
		{Template: "second", Step: 1, Sent: 1, Clicked: 1, RecoveredAfterClick: 1, Updated: 1},
	}, later)
}

// testPolicyVersions specifies the history of policy versions.
func testPolicyVersions(t *testing.T, s recoup.Store) {
	ctx := t.Context()
	ph, ok := s.(recoup.PolicyHistory)
	if !ok {
		t.Fatalf("%T does not implement recoup.PolicyHistory", s)
	}
	record := func(version, source string, at time.Duration, note ...string) {
		t.Helper()
		if err := ph.RecordPolicyVersion(ctx, version, source, strings.Join(note, ""), base.Add(at)); err != nil {
			t.Fatalf("RecordPolicyVersion(%s): %v", version, err)
		}
	}
	record("v1", "mode: live\n", 0)
	record("v2", "mode: observe\n", time.Hour)
	record("v1", "mode: live\n", 2*time.Hour)       // back to the first
	record("v2", "mode: observe\n", 30*time.Minute) // an older report does not move it back
	// A promoted arm's policy says so; put in force again without a note, it keeps it.
	const promoted = "arm recoup of experiment recoup-vs-stripe promoted by ops@example.com"
	record("v3", "mode: act\n", 3*time.Hour, promoted)
	record("v3", "mode: act\n", 4*time.Hour)
	got, err := ph.PolicyVersions(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "policy versions", []recoup.PolicyVersion{
		{Version: "v3", Source: "mode: act\n", FirstSeenAt: stored(base.Add(3 * time.Hour)), LastActivatedAt: stored(base.Add(4 * time.Hour)), Note: promoted},
		{Version: "v1", Source: "mode: live\n", FirstSeenAt: stored(base), LastActivatedAt: stored(base.Add(2 * time.Hour))},
		{Version: "v2", Source: "mode: observe\n", FirstSeenAt: stored(base.Add(time.Hour)), LastActivatedAt: stored(base.Add(time.Hour))},
	}, got)
	one, err := ph.PolicyVersions(ctx, 1)
	if err != nil || len(one) != 1 || one[0].Version != "v3" {
		t.Fatalf("PolicyVersions(1): want v3 only, got %+v, %v", one, err)
	}
	wantCode(t, ph.RecordPolicyVersion(ctx, "", "x", "", base), recoup.EINVALID)
	_, err = ph.PolicyVersions(ctx, 0)
	wantCode(t, err, recoup.EINVALID)
}
