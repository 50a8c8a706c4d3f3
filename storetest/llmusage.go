package storetest

import (
	"sync"
	"testing"

	"github.com/recoup-hq/recoup"
)

// testLLMUsage checks the store's LLMUsageStore: months are separate, an unknown month reads
// as zero, deltas may be negative, and concurrent additions never lose one another (the caps
// of message personalization rely on it).
func testLLMUsage(t *testing.T, newStore func(t *testing.T) Harness) {
	usage := func(t *testing.T) recoup.LLMUsageStore {
		s, ok := newStore(t).Store.(recoup.LLMUsageStore)
		if !ok {
			t.Fatal("the store does not implement recoup.LLMUsageStore")
		}
		return s
	}
	t.Run("usage adds up per month and reads back", func(t *testing.T) {
		t.Parallel()
		s := usage(t)
		ctx := t.Context()
		if got, err := s.LLMUsage(ctx, "2026-11"); err != nil || got != (recoup.LLMUsage{}) {
			t.Fatalf("LLMUsage of an unused month = %+v, %v; want zero, nil", got, err)
		}
		steps := []struct {
			month string
			delta recoup.LLMUsage
			want  recoup.LLMUsage
		}{
			{"2026-11", recoup.LLMUsage{Calls: 1, CostMicros: 9000}, recoup.LLMUsage{Calls: 1, CostMicros: 9000}},
			// The settlement of the reservation: tokens reported, cost lowered.
			{"2026-11", recoup.LLMUsage{InputTokens: 800, OutputTokens: 200, CostMicros: -6000}, recoup.LLMUsage{Calls: 1, InputTokens: 800, OutputTokens: 200, CostMicros: 3000}},
			{"2026-12", recoup.LLMUsage{Calls: 1, CostMicros: 5}, recoup.LLMUsage{Calls: 1, CostMicros: 5}},
			// A reservation returned.
			{"2026-11", recoup.LLMUsage{Calls: 1, CostMicros: 9000}, recoup.LLMUsage{Calls: 2, InputTokens: 800, OutputTokens: 200, CostMicros: 12000}},
			{"2026-11", recoup.LLMUsage{Calls: -1, CostMicros: -9000}, recoup.LLMUsage{Calls: 1, InputTokens: 800, OutputTokens: 200, CostMicros: 3000}},
		}
		for i, st := range steps {
			got, err := s.AddLLMUsage(ctx, st.month, st.delta)
			if err != nil {
				t.Fatalf("step %d: AddLLMUsage: %v", i, err)
			}
			wantEqual(t, "AddLLMUsage", st.want, got)
		}
		for month, want := range map[string]recoup.LLMUsage{
			"2026-11": {Calls: 1, InputTokens: 800, OutputTokens: 200, CostMicros: 3000},
			"2026-12": {Calls: 1, CostMicros: 5},
		} {
			got, err := s.LLMUsage(ctx, month)
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, "LLMUsage("+month+")", want, got)
		}
	})
	t.Run("concurrent additions are atomic", func(t *testing.T) {
		t.Parallel()
		s := usage(t)
		const n = 20
		var wg sync.WaitGroup
		totals := make([]int64, n)
		for i := range n {
			wg.Go(func() {
				u, err := s.AddLLMUsage(t.Context(), "2027-01", recoup.LLMUsage{Calls: 1, CostMicros: 10})
				if err != nil {
					t.Error(err)
					return
				}
				totals[i] = u.Calls
			})
		}
		wg.Wait()
		// Each addition saw a different total: none read a stale sum.
		seen := map[int64]bool{}
		for _, c := range totals {
			if seen[c] {
				t.Errorf("two additions both returned %d calls", c)
			}
			seen[c] = true
		}
		got, err := s.LLMUsage(t.Context(), "2027-01")
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "LLMUsage after concurrent additions", recoup.LLMUsage{Calls: n, CostMicros: 10 * n}, got)
	})
	t.Run("a month is required", func(t *testing.T) {
		t.Parallel()
		_, err := usage(t).AddLLMUsage(t.Context(), "", recoup.LLMUsage{Calls: 1})
		wantCode(t, err, recoup.EINVALID)
	})
}
