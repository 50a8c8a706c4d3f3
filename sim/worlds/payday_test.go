package worlds

import (
	"slices"
	"testing"
	"time"
)

func TestPaydays(t *testing.T) {
	d := func(s string) time.Time {
		x, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	tests := []struct {
		rule PayRule
		pays []string // in 2026-05-25 .. 2026-08-05
	}{
		{PayRule{Kind: PayDayOfMonth, Day: 1}, []string{"2026-06-01", "2026-07-01", "2026-07-31"}}, // Aug 1 is a Saturday
		{PayRule{Kind: PayDayOfMonth, Day: 15}, []string{"2026-06-15", "2026-07-15"}},
		{PayRule{Kind: PayLastBusinessDay}, []string{"2026-05-29", "2026-06-30", "2026-07-31"}}, // May 31 is a Sunday
		{PayRule{Kind: PayNthBusinessDay, Day: 5}, []string{"2026-06-05", "2026-07-07"}},        // Jul 1 is a Wednesday
		{PayRule{Kind: PayWeekly, Weekday: time.Friday}, []string{"2026-05-29", "2026-06-05", "2026-06-12", "2026-06-19", "2026-06-26", "2026-07-03", "2026-07-10", "2026-07-17", "2026-07-24", "2026-07-31"}},
	}
	for _, tt := range tests {
		var got []string
		for x := d("2026-05-25"); x.Before(d("2026-08-06")); x = x.AddDate(0, 0, 1) {
			if tt.rule.pays(x, 0) {
				got = append(got, x.Format(time.DateOnly))
			}
		}
		if !slices.Equal(got, tt.pays) {
			t.Errorf("%+v: got %v, want %v", tt.rule, got, tt.pays)
		}
	}
	bi := PayRule{Kind: PayBiweekly, Weekday: time.Friday}
	a, b := bi.pays(d("2026-06-05"), 0), bi.pays(d("2026-06-12"), 0)
	if a == b || a != bi.pays(d("2026-06-19"), 0) || a == bi.pays(d("2026-06-05"), 1) {
		t.Error("biweekly paydays do not alternate")
	}
	ny, _ := time.LoadLocation("America/New_York")
	p := paydays{sched: PaySchedule{Rules: []PayRule{{Kind: PayDayOfMonth, Day: 15}}}, hour: 6, loc: ny}
	last, ok := p.last(time.Date(2026, 7, 15, 9, 59, 0, 0, time.UTC)) // 05:59 in New York
	if !ok || !last.Equal(time.Date(2026, 6, 15, 6, 0, 0, 0, ny)) {
		t.Errorf("last payday before the money arrives: %s", last)
	}
	if got := p.between(time.Date(2026, 6, 1, 0, 0, 0, 0, ny), time.Date(2026, 8, 1, 0, 0, 0, 0, ny)); len(got) != 2 || !got[1].Equal(time.Date(2026, 7, 15, 6, 0, 0, 0, ny)) {
		t.Errorf("between: %v", got)
	}
}
