package expreport

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// Ending an experiment stops new cases from taking an arm (the engine reads the store's state
// when a case opens); cases already open keep their arm and its rules to their end. Promoting
// an arm also changes the rules of new cases: they follow policy.Promote(arm), the file's
// policy with the arm's settings made the rules of every segment, until the operator copies it
// into the file.

// Ended is what an end did.
type Ended struct {
	Experiment string
	By         string
	// Promoted is the policy new cases now follow (nil: no arm promoted, the file's policy
	// without assignment), and Note what the policy history says of it.
	Promoted *policy.Policy
	Arm      string
	Note     string
}

// PromotedNote is what the policy history says of a promoted arm's policy.
func PromotedNote(experiment, arm, by string) string {
	return fmt.Sprintf("arm %s of experiment %s promoted by %s", arm, experiment, by)
}

// End ends the experiment at now on behalf of by and promotes arm ("": none), given the policy
// file in force (which must hold the experiment for a promotion: the arm's rules come from
// it). The end is recorded in one store transaction; a promoted policy is added to the policy
// history with its note. ENOTFOUND if the store does not know the experiment, ECONFLICT if it
// has ended already.
func End(ctx context.Context, store recoup.Store, file *policy.Policy, now time.Time, name, by, arm string) (Ended, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return Ended{}, recoup.Errorf(recoup.EINVALID, "end experiment %s: say who ends it", name)
	}
	out := Ended{Experiment: name, By: by, Arm: arm}
	if arm != "" {
		if file == nil || file.Experiment == nil || file.Experiment.Name != name {
			return Ended{}, recoup.Errorf(recoup.EINVALID, "promote arm %s of experiment %s: the policy file in force does not hold this experiment, and the arm's rules come from it", arm, name)
		}
		p, err := promote(file, arm)
		if err != nil {
			return Ended{}, err
		}
		out.Promoted, out.Note = p, PromotedNote(name, arm, by)
	}
	err := store.Tx(ctx, func(tx recoup.Tx) error {
		et, ok := tx.(recoup.ExperimentTx)
		if !ok {
			return recoup.Errorf(recoup.EINVALID, "this store keeps no experiments")
		}
		return et.EndExperiment(name, now, by, arm)
	})
	if err != nil {
		return Ended{}, fmt.Errorf("end experiment %s: %w", name, err)
	}
	if h, ok := store.(recoup.PolicyHistory); ok && out.Promoted != nil {
		if err := h.RecordPolicyVersion(ctx, out.Promoted.Version, string(out.Promoted.Source), out.Note, now); err != nil {
			return out, fmt.Errorf("experiment %s ended and arm %s promoted, but the policy history was not written: %w", name, arm, err)
		}
	}
	return out, nil
}

// promote is policy.Promote with the experiment kept for the cases already in an arm: they
// keep their arm's rules (Policy.ForCase), while new cases, which take no arm once the
// experiment has ended, follow the promoted rules.
func promote(file *policy.Policy, arm string) (*policy.Policy, error) {
	p, err := file.Promote(arm)
	if err != nil {
		return nil, err
	}
	p.Experiment = file.Experiment
	return p, nil
}

// InForce returns the policy new cases follow given the policy file and the experiments the
// store knows: the file's, unless its experiment has ended with an arm promoted, then the
// promoted policy, with the note the history keeps of it. An experiment ended without a
// promotion needs nothing here: the engine assigns no arm once it has ended.
func InForce(file *policy.Policy, known []recoup.Experiment) (*policy.Policy, string, error) {
	if file == nil || file.Experiment == nil {
		return file, "", nil
	}
	for _, e := range known {
		if e.Name != file.Experiment.Name || !e.Ended() || e.PromotedArm == "" {
			continue
		}
		p, err := promote(file, e.PromotedArm)
		if err != nil {
			return nil, "", fmt.Errorf("experiment %s ended with arm %s promoted, but the policy file cannot promote it: %w", e.Name, e.PromotedArm, err)
		}
		return p, PromotedNote(e.Name, e.PromotedArm, e.EndedBy), nil
	}
	return file, "", nil
}
