package engine

import (
	"slices"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/timing"
)

// The learner's kept pay priors are the model's, and are made again once it learns or is
// replaced.
func TestLearnerPayPriorFollowsTheModel(t *testing.T) {
	l := &learner{model: timing.NewModel(), loaded: true}
	check := func(when string) []float64 {
		t.Helper()
		got := l.payPrior("US")
		if want := l.model.PayPrior("US"); !slices.Equal(got, want) {
			t.Fatalf("%s: kept %v, model %v", when, got[:3], want[:3])
		}
		return got
	}
	before := check("fresh")
	c := timing.Case{Category: recoup.CategoryFunds, Code: "insufficient_funds", Country: "US", Loc: time.UTC,
		Cal: timing.CalendarFor("US"), FirstFailed: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	for i := range 50 {
		at := c.FirstFailed.Add(time.Duration(24*(i%20+1)) * time.Hour)
		l.model.Update(timing.Observed(c, at), at.Day() == 15)
	}
	if after := check("after learning"); slices.Equal(before, after) {
		t.Fatal("the model learned paydays but the kept prior did not change")
	}
	l.model = timing.NewModel()
	if got := check("a new model"); !slices.Equal(got, before) {
		t.Fatal("a new model's prior differs from the first fresh one")
	}
}
