package dashboard

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/recoup-hq/recoup"
)

func TestCaseTimelineShowsEachPlanOnce(t *testing.T) {
	at := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	reason := "charge 2 of 4: day 3 of the schedule at 10:00 UTC"
	state := func(at time.Time, from, to recoup.CaseState, why string) recoup.TimelineEntry {
		d, _ := json.Marshal(map[string]string{"from": string(from), "to": string(to)})
		return recoup.TimelineEntry{At: at, Kind: recoup.EntryState, Summary: string(from) + " -> " + string(to) + ": " + why, Detail: d}
	}
	decision := func(at time.Time, why string) recoup.TimelineEntry {
		d, _ := json.Marshal(recoup.Decision{Kind: recoup.DecideRetry, At: at, Reason: why})
		return recoup.TimelineEntry{At: at, Kind: recoup.EntryDecision, Summary: "retry Sat 23 May 2026 10:00 UTC: " + why + " [segment default, policy abc]", Detail: d}
	}
	event := recoup.TimelineEntry{At: at, Kind: recoup.EntryEvent, Summary: "invoice.payment_failed"}
	for _, tc := range []struct {
		name    string
		in      []recoup.TimelineEntry
		kinds   []recoup.EntryKind
		changes []string
	}{
		{"state then its decision", []recoup.TimelineEntry{event, state(at, recoup.StateOpen, recoup.StateScheduled, reason), decision(at, reason)},
			[]recoup.EntryKind{recoup.EntryEvent, recoup.EntryDecision}, []string{"", "open → retry planned"}},
		{"decision then its state", []recoup.TimelineEntry{decision(at, reason), state(at, recoup.StateScheduled, recoup.StateAwaitingCustomer, reason)},
			[]recoup.EntryKind{recoup.EntryDecision}, []string{"retry planned → waiting for the customer"}},
		{"another reason stays apart", []recoup.TimelineEntry{state(at, recoup.StateOpen, recoup.StateScheduled, "paid"), decision(at, reason)},
			[]recoup.EntryKind{recoup.EntryState, recoup.EntryDecision}, []string{"open → retry planned", ""}},
		{"another instant stays apart", []recoup.TimelineEntry{state(at, recoup.StateOpen, recoup.StateScheduled, reason), decision(at.Add(time.Second), reason)},
			[]recoup.EntryKind{recoup.EntryState, recoup.EntryDecision}, []string{"open → retry planned", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := caseTimeline(tc.in)
			if len(got) != len(tc.kinds) {
				t.Fatalf("want %d items, got %d: %+v", len(tc.kinds), len(got), got)
			}
			for i, it := range got {
				if it.Kind != tc.kinds[i] || it.Change != tc.changes[i] {
					t.Errorf("item %d: want %s %q, got %s %q", i, tc.kinds[i], tc.changes[i], it.Kind, it.Change)
				}
			}
		})
	}
}

func TestTimelineNamesTheFinalActionInWords(t *testing.T) {
	d, _ := json.Marshal(recoup.Decision{Kind: recoup.DecideFinal, FinalAction: recoup.FinalLeavePastDue, Reason: "no retry left"})
	got := caseTimeline([]recoup.TimelineEntry{{Kind: recoup.EntryDecision, Summary: "leave_past_due Mon 2 Jan 2026 10:00 UTC: no retry left", Detail: d}})
	if want := "leave the subscription past due, Mon 2 Jan 2026 10:00 UTC: no retry left"; len(got) != 1 || got[0].Summary != want {
		t.Errorf("want %q, got %+v", want, got)
	}
}

func TestDurationsInWords(t *testing.T) {
	for d, want := range map[time.Duration]string{45 * 24 * time.Hour: "45 days", 24 * time.Hour: "1 day", 4 * time.Hour: "4 hours",
		15 * time.Minute: "15 minutes", 90 * time.Minute: "90 minutes", 0: "0s"} {
		if got := durWords(d); got != want {
			t.Errorf("%v: want %q, got %q", d, want, got)
		}
	}
}

func TestMoneyFormat(t *testing.T) {
	for _, tc := range []struct {
		locale   string
		amount   int64
		currency string
		want     string
	}{
		{"en-US", 75264700, "usd", "$752,647.00"},
		{"en-US", 120000, "jpy", "¥120,000"},
		{"en-US", 0, "eur", "€0.00"},
		{"en-US", 1050, "chf", "CHF 10.50"},
		{"en-US", -250, "usd", "−$2.50"},
		{"de-DE", 75264700, "eur", "€752.647,00"},
		{"en-US", 1234, "zzz", "12.34 ZZZ"},
	} {
		if got := newMoneyFormat(mustTag(t, tc.locale)).format(tc.amount, tc.currency); got != tc.want {
			t.Errorf("%s %d %s: want %q, got %q", tc.locale, tc.amount, tc.currency, tc.want, got)
		}
	}
}

func TestWordsNotIdentifiers(t *testing.T) {
	for _, st := range recoup.CaseStates {
		if _, ok := stateWords[st]; !ok {
			t.Errorf("state %q has no words", st)
		}
	}
	for _, c := range append([]recoup.Category{recoup.CategoryUnknown}, recoup.Categories...) {
		if _, ok := categoryWords[c]; !ok {
			t.Errorf("category %q has no words", c)
		}
	}
	if got := wordList(categoryWords, []recoup.Category{recoup.CategoryCustomerFix, recoup.CategoryAuthentication, recoup.CategoryHard}); got != "card needs fixing by the customer, needs authentication and hard decline" {
		t.Errorf("list of categories: %q", got)
	}
}

func mustTag(t *testing.T, s string) language.Tag {
	t.Helper()
	tag, err := language.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func TestTrendWeeks(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tc := range []struct {
		from, to    string
		n           int
		first, last string
	}{
		{"2026-05-14", "2026-05-20", 8, "2026-03-30", "2026-05-18"}, // a week: at least eight
		{"2025-05-21", "2026-05-20", 53, "2025-05-19", "2026-05-18"},
		{"2020-01-01", "2026-05-20", 53, "2025-05-19", "2026-05-18"}, // bounded: the latest
	} {
		ws := trendWeeks(period{From: day(tc.from), To: day(tc.to)})
		if len(ws) != tc.n || ws[0].Format(time.DateOnly) != tc.first || ws[len(ws)-1].Format(time.DateOnly) != tc.last {
			t.Errorf("%s..%s: want %d weeks %s..%s, got %d %v..%v", tc.from, tc.to, tc.n, tc.first, tc.last, len(ws), ws[0], ws[len(ws)-1])
		}
	}
}

func TestCohortRateWaitsForTheWholeWeek(t *testing.T) {
	start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	o := recoup.NewOverview(start, start.AddDate(0, 0, 7))
	o.AddCases(recoup.OverviewRow{Currency: "usd", State: recoup.StateRecovered, Count: 3, Amount: 300})
	o.AddCases(recoup.OverviewRow{Currency: "usd", State: recoup.StateExhausted, Count: 1, Amount: 100})
	o.AddRecoveries(30, 1)  // 1-3 days
	o.AddRecoveries(200, 2) // 1-2 weeks
	w := week{Start: start, Overview: o}
	// All the week's cases are 7 days old on the Monday a week after the week ends.
	if got := cohortRate(w, 7, start.AddDate(0, 0, 13)); !math.IsNaN(got) {
		t.Errorf("7 days, a day early: want no figure, got %v", got)
	}
	if got := cohortRate(w, 7, start.AddDate(0, 0, 14)); got != 25 {
		t.Errorf("7 days: want 25%%, got %v", got)
	}
	if got := cohortRate(w, 14, start.AddDate(0, 0, 21)); got != 75 {
		t.Errorf("14 days: want 75%%, got %v", got)
	}
}
