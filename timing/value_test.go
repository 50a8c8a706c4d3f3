package timing

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// An amount is ranked among the amounts of the outcomes the model learned from, by their amount
// buckets: the share above it, the share in its own bucket, and how many outcomes there are.
func TestRankAmountAmongTheLearnedOutcomes(t *testing.T) {
	m := NewModel()
	learn := func(amount int64, n int) {
		c := Case{Category: recoup.CategoryFunds, Code: "insufficient_funds", Amount: amount, Currency: "usd", Loc: time.UTC,
			FirstFailed: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
		for k := range n {
			m.Update(Features(c, c.FirstFailed.Add(time.Duration(24+k)*time.Hour)), k%4 == 0)
		}
	}
	learn(2500, 150)  // $25: 20-50
	learn(19900, 40)  // $199: 100-300
	learn(400000, 10) // $4,000: 1000+
	for _, tc := range []struct {
		amount    int64
		currency  string
		above, at float64
		top       bool
	}{
		{300000, "usd", 0, 0.05, true},      // $3,000: the top 5%
		{19900, "usd", 0.05, 0.2, false},    // $199: a quarter of the outcomes at or above it
		{900, "usd", 0.25 + 0.75, 0, false}, // $9: every outcome above it
		{300000, "jpy", 0, 0.05, true},      // ¥300,000 has no decimals: 1000+ too
		{2500, "usd", 0.25, 0.75, false},    // the usual amount
	} {
		r := m.RankAmount(tc.amount, tc.currency)
		if r.Outcomes != 200 || !near(r.Above, tc.above) || !near(r.At, tc.at) {
			t.Errorf("RankAmount(%d %s) = %+v, want %v above and %v at of 200", tc.amount, tc.currency, r, tc.above, tc.at)
		}
		if got := r.Top(0.1, 200); got != tc.top {
			t.Errorf("RankAmount(%d %s).Top(0.1, 200) = %v, want %v", tc.amount, tc.currency, got, tc.top)
		}
		if r.Top(0.1, 201) {
			t.Errorf("RankAmount(%d %s).Top(0.1, 201): large out of fewer outcomes than asked", tc.amount, tc.currency)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
