package expreport

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// Reader builds reports for the API and the dashboard: the arms' setup comes from the policy
// in force.
type Reader struct {
	Store recoup.ExperimentResults
	// Policy returns the policy in force; nil, or a policy without the experiment, reads the
	// arms from the store and takes the first as the baseline.
	Policy func() *policy.Policy
}

// Experiments lists the experiments the store knows, the most recently started first.
func (r Reader) Experiments(ctx context.Context) ([]recoup.Experiment, error) {
	return r.Store.Experiments(ctx)
}

// Report returns the report of the experiment name ("": the policy's, else the one started
// last) in currency ("": the only one).
func (r Reader) Report(ctx context.Context, name, currency string) (*Report, error) {
	var p *policy.Policy
	if r.Policy != nil {
		p = r.Policy()
	}
	if name == "" {
		if p != nil && p.Experiment != nil {
			name = p.Experiment.Name
		} else {
			list, err := r.Store.Experiments(ctx)
			if err != nil {
				return nil, err
			}
			if len(list) == 0 {
				return nil, recoup.Errorf(recoup.ENOTFOUND, "no experiment yet: the policy has none and the store knows none")
			}
			name = list[0].Name
		}
	}
	return Build(ctx, r.Store, name, SetupOf(p, name), Options{Currency: currency})
}
