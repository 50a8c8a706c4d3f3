package policy_test

import (
	"errors"
	"os"
	"testing"

	"github.com/recoup-hq/recoup/policy"
)

// FuzzParse feeds the policy parser any file an operator could write. It must not panic; a
// file it refuses gets a *policy.Error whose problems each say something and come in the
// file's order; a file it accepts parses again to the same version, and each arm of its
// experiment can be promoted.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"default.yaml", "../policies/examples/example.yaml", "../policies/examples/segments.yaml",
		"../policies/examples/experiment.yaml", "../policies/examples/aa.yaml"} {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("retry:\n  hour: 25\n  strategy: modle\nunknown: 1\n"))
	f.Add([]byte("campaign:\n  steps:\n    - after: 1d\n      template: update_crad\n"))
	f.Add([]byte("# only a comment\n"))
	f.Add([]byte("{}"))
	f.Add([]byte("a: [1, 2\n"))
	f.Add([]byte("segments: [{name: s, when: 'true', retry: {max_attempts: 2}}]\nexperiment: {name: x, unit: customer, arms: [{name: a, weight: 1}, {name: b, weight: 2, retry: {hour: 3}, declines: {never_retry: [do_not_honor]}}], optimize: {floor: 5}}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := policy.Parse("fuzz.yaml", src)
		if err == nil {
			again, err := policy.Parse("fuzz.yaml", src)
			if err != nil || again.Version != p.Version {
				t.Fatalf("accepted once, then %v (version %s vs %s)", err, p.Version, again.Version)
			}
			// Every arm of an accepted experiment can be promoted.
			if p.Experiment != nil {
				for _, a := range p.Experiment.Arms {
					if _, err := p.Promote(a.Name); err != nil {
						t.Fatalf("promote %s: %v", a.Name, err)
					}
				}
			}
			return
		}
		var pe *policy.Error
		if !errors.As(err, &pe) || len(pe.Problems) == 0 {
			t.Fatalf("refused without problems: %T %v", err, err)
		}
		for i, pr := range pe.Problems {
			if pr.Message == "" {
				t.Fatalf("problem %d says nothing: %+v", i, pr)
			}
			if i > 0 {
				prev := pe.Problems[i-1]
				if pr.Line > 0 && prev.Line > 0 && (pr.Line < prev.Line || pr.Line == prev.Line && pr.Column < prev.Column) {
					t.Fatalf("problems out of the file's order: %v then %v", prev, pr)
				}
			}
		}
	})
}
