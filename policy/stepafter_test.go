package policy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup/policy"
)

// A step's after is a delay after the previous step in the list, resolved to a day after the
// first failure when the policy loads.
func TestStepAfterResolvesToDays(t *testing.T) {
	tests := []struct {
		name  string
		steps string
		want  []int
	}{
		{"after a day", "- {day: 3, template: a}\n    - {after: 4d, template: b}\n", []int{3, 7}},
		{"chained", "- {day: 0, template: a}\n    - {after: 2d, template: b}\n    - {after: 5d, template: c}\n", []int{0, 2, 7}},
		{"same day as the previous", "- {day: 3, template: a}\n    - {after: 0d, template: b}\n", []int{3, 3}},
		{"in hours, whole days", "- {day: 1, template: a}\n    - {after: 48h, template: b}\n", []int{1, 3}},
		{"mixed with day", "- {day: 1, template: a}\n    - {after: 2d, template: b}\n    - {day: 10, template: c}\n", []int{1, 3, 10}},
		{"after the previous step whatever its categories", "- {day: 0, template: a, categories: [hard]}\n    - {after: 3d, template: b}\n", []int{0, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.ParseWith("t.yaml", []byte("campaign:\n  steps:\n    "+tt.steps), ownTemplates)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, s := range p.Campaign.Steps {
				got = append(got, s.Day)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("days %v, want %v", got, tt.want)
			}
		})
	}
}

// Refused with the position of the offending key.
func TestStepAfterProblems(t *testing.T) {
	tests := []struct {
		name, steps, want string
	}{
		{"first step", "- {after: 2d, template: a}\n", "t.yaml:3:15: campaign.steps[0].after: the first step has no previous step"},
		{"both", "- {day: 1, template: a}\n    - {day: 3, after: 2d, template: b}\n", "campaign.steps[1]: a step has a day or an after"},
		{"not a duration", "- {day: 1, template: a}\n    - {after: soon, template: b}\n", "t.yaml:4:15: campaign.steps[1].after: invalid duration \"soon\""},
		{"part of a day", "- {day: 1, template: a}\n    - {after: 36h, template: b}\n", "campaign.steps[1].after: after must be whole days"},
		{"past day 365", "- {day: 300, template: a}\n    - {after: 70d, template: b}\n", "campaign.steps[1].after: after 70d puts the step on day 370"},
		{"neither", "- {day: 1, template: a}\n    - {template: b}\n", "campaign.steps[1]: a step needs a day (days after the first failure, 0 = the same day) or an after"},
		{"a later day before it", "- {day: 1, template: a}\n    - {after: 5d, template: b}\n    - {day: 4, template: c}\n", "campaign.steps[2].day: steps must be in order of day: day 4 comes after day 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.ParseWith("t.yaml", []byte("campaign:\n  steps:\n    "+tt.steps), ownTemplates)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// ownTemplates are the template names of the tests' campaigns, as a template directory would
// define them.
var ownTemplates = policy.Options{Templates: []string{"a", "b", "c"}}
