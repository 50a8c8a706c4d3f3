package personalize

import (
	"context"
	"testing"
	"time"
)

func TestMonthKey(t *testing.T) {
	// The month is UTC's: late on the 31st in New York is already the next month.
	ny, _ := time.LoadLocation("America/New_York")
	for at, want := range map[time.Time]string{
		time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC): "2026-11",
		time.Date(2026, 12, 31, 21, 0, 0, 0, ny):       "2027-01",
	} {
		if got := MonthKey(at); got != want {
			t.Errorf("MonthKey(%s) = %s, want %s", at, got, want)
		}
	}
}

func TestMemoryUsage(t *testing.T) {
	ctx := context.Background()
	u := NewMemoryUsage()
	if got, err := u.Usage(ctx, "2026-11"); err != nil || got != (Usage{}) {
		t.Fatalf("empty month = %+v, %v", got, err)
	}
	steps := []struct{ delta, want Usage }{
		{Usage{Calls: 1, CostMicros: 900}, Usage{Calls: 1, CostMicros: 900}},
		{Usage{InputTokens: 100, OutputTokens: 20, CostMicros: -600}, Usage{Calls: 1, InputTokens: 100, OutputTokens: 20, CostMicros: 300}},
		{Usage{Calls: 1, CostMicros: 900}, Usage{Calls: 2, InputTokens: 100, OutputTokens: 20, CostMicros: 1200}},
		{Usage{Calls: -1, CostMicros: -900}, Usage{Calls: 1, InputTokens: 100, OutputTokens: 20, CostMicros: 300}},
	}
	for i, s := range steps {
		got, err := u.AddUsage(ctx, "2026-11", s.delta)
		if err != nil || got != s.want {
			t.Fatalf("step %d: AddUsage = %+v, %v; want %+v", i, got, err, s.want)
		}
	}
	if got, _ := u.Usage(ctx, "2026-12"); got != (Usage{}) {
		t.Errorf("another month = %+v", got)
	}
}
