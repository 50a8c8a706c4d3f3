package policy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup/policy"
)

// Every kind of mistake is reported with its file, line and column, and a suggestion where the
// message alone does not say what to write.
func TestCheckReportsEveryKindOfMistake(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // each must appear in the error
	}{
		{"syntax", "retry:\n  hour: [1, 2\n", []string{"p.yaml:2"}},
		{"tab indentation", "retry:\n\thour: 3\n", []string{"p.yaml:2"}},
		{"unknown key with a near miss", "retry:\n  max_attempt: 3\n", []string{`p.yaml:2:3: retry.max_attempt: unknown key "max_attempt" (did you mean "max_attempts"?)`}},
		{"unknown top-level key", "finalaction: cancel_subscription\n", []string{`p.yaml:1:1: finalaction: unknown key "finalaction" (did you mean "final_action"?)`}},
		{"unknown key far from any", "zzz: 1\n", []string{`unknown key "zzz" (known keys here: backup_payment_method, campaign, customer_wait,`}},
		{"unknown key in a segment", "segments:\n  - name: a\n    when: 'true'\n    retyr: {hour: 3}\n", []string{`p.yaml:4:5: segments[0].retyr: unknown key "retyr" (did you mean "retry"?)`}},
		{"wrong type: text for a number", "retry:\n  hour: ten\n", []string{`p.yaml:2:9: retry.hour: want a whole number, got "ten"`}},
		{"wrong type: list for a mapping", "retry: [1, 2]\n", []string{"p.yaml:1:8: retry: want a mapping"}},
		{"wrong type: scalar for a list", "retry:\n  schedule_days: 3\n", []string{"retry.schedule_days: want a list, got the number 3"}},
		{"wrong type: text for a bool", "manual_review: maybe\n", []string{`manual_review: want true or false, got "maybe"`}},
		{"bad duration", "customer_wait: 2 weeks\n", []string{`p.yaml:1:16: customer_wait: invalid duration "2 weeks": use 15d, 36h or 90m`}},
		{"bad duration in a segment", "segments:\n  - {name: a, when: 'true', grace_period: soon}\n", []string{`segments[0].grace_period: invalid duration "soon"`}},
		{"unknown mode", "mode: shadow\n", []string{`mode: unknown mode "shadow": use act`}},
		{"unknown final action", "final_action: pause\n", []string{`unknown final action "pause": use leave_past_due, cancel_subscription, cancel_at_period_end, mark_uncollectible, pause_collection`}},
		{"CEL that does not compile", "segments:\n  - name: a\n    when: invoice.amount_due >\n", []string{"p.yaml:3:31: segments[0].when: invalid rule: Syntax error: mismatched input '<EOF>'"}},
		{"CEL with an unknown fact", "segments:\n  - {name: a, when: invoice.amount > 10 && customer.age > 3}\n", []string{"p.yaml:2:36: segments[0].when: invalid rule: found no matching overload for '_>_' applied to '(double, int)'", "p.yaml:2:44: segments[0].when: invalid rule: undeclared reference to 'customer' (the facts are invoice.amount_due"}},
		{"CEL error inside a block rule", "segments:\n  - name: a\n    when: |\n      invoice.amount_due > 5 &&\n      customer.foo\n", []string{"p.yaml:5:7: segments[0].when: invalid rule: undeclared reference to 'customer'"}},
		{"alias to a wrong type", "timezone: &h ten\nretry: {hour: *h}\n", []string{`retry.hour: want a whole number, got "ten"`}},
		{"CEL that is not a bool", "segments:\n  - {name: a, when: invoice.amount_due + 1}\n", []string{"segments[0].when: invalid rule: the rule must be true or false, but it gives a int"}},
		{"CEL comparing a number to text", "segments:\n  - {name: a, when: 'invoice.amount_due > \"big\"'}\n", []string{"segments[0].when: invalid rule: ", "no matching overload"}},
		{"segment after a catch-all", "segments:\n  - {name: all, when: 'true'}\n  - {name: big, when: invoice.amount_due > 100}\n", []string{`p.yaml:3:6: segments[1]: segment "big" can never match: segment "all" above it matches every case`}},
		{"segment without a rule", "segments:\n  - {name: a}\n", []string{"segments[0]: a segment needs a rule"}},
		{"segment without a name", "segments:\n  - {when: 'true'}\n", []string{"segments[0]: a segment needs a name"}},
		{"duplicate segment", "segments:\n  - {name: a, when: 'false'}\n  - {name: a, when: 'true'}\n", []string{`segments[1].name: segment name "a" is used twice`}},
		{"reserved segment name", "segments:\n  - {name: default, when: 'true'}\n", []string{`segment name "default" is used twice (or is the reserved name default)`}},
		{"bad decline code", "declines:\n  never_retry: [Do Not Honor]\n", []string{`declines.never_retry[0]: "Do Not Honor" is not a Stripe decline code`}},
		{"code in both decline lists", "declines:\n  never_retry: [do_not_honor]\n  retry_within: {do_not_honor: 3d}\n", []string{`"do_not_honor" is also listed in never_retry`}},
		{"Visa cap above the network's", "network:\n  visa_reattempts_30d: 21\n", []string{"p.yaml:2:24: network.visa_reattempts_30d: must be 1-20"}},
		{"case budget above the network's", "segments: []\nnetwork: {case_budget: 16}\n", []string{"network.case_budget: must be 1-15"}},
		{"payment plan without parts", "payment_plan: {above: 100}\n", []string{"payment_plan: a payment plan needs parts"}},
		{"payment plan of one part", "payment_plan: {parts: 1}\n", []string{"payment_plan.parts: must be 2-12"}},
		{"payment plan too frequent", "payment_plan: {parts: 3, every: 1h}\n", []string{"payment_plan.every: must be between 24h0m0s and 2160h0m0s"}},
		{"two documents", "mode: act\n---\nmode: observe\n", []string{"one YAML document"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Parse("p.yaml", []byte(tc.src))
			var pe *policy.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *policy.Error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %s\ndoes not contain\n  %s", err, w)
				}
			}
			for _, p := range pe.Problems {
				if p.File != "p.yaml" {
					t.Errorf("problem without its file: %+v", p)
				}
			}
		})
	}
}

// Structural mistakes are all reported at once, each at its own position.
func TestCheckReportsSeveralProblemsAtOnce(t *testing.T) {
	src := "retry:\n  hours: 3\n  max_attempts: many\nfinal_actoin: x\nsegments:\n  - {name: a, when: 'true', campaign: {hour: noon}}\n"
	_, err := policy.Parse("p.yaml", []byte(src))
	var pe *policy.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, p := range pe.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`p.yaml:2:3: retry.hours: unknown key "hours" (did you mean "hour"?)`,
		`p.yaml:3:17: retry.max_attempts: want a whole number, got "many" (write a whole number without quotes, e.g. 10)`,
		`p.yaml:4:1: final_actoin: unknown key "final_actoin" (did you mean "final_action"?)`,
		`p.yaml:6:46: segments[0].campaign.hour: want a whole number, got "noon" (write a whole number without quotes, e.g. 10)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Semantic problems, in several sections, are all reported too.
	_, err = policy.Parse("p.yaml", []byte("retry: {hour: 30}\ncustomer_wait: 1m\nsegments:\n  - {name: a, when: '1'}\n"))
	if !errors.As(err, &pe) || len(pe.Problems) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
}

// Every problem is reported in one pass, in the order of the file, each cause once: a
// structural problem (unknown key, wrong type) does not hide the semantic ones elsewhere.
func TestCheckReportsEveryProblemInOnePass(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // every problem, in order
	}{
		{"unknown key and semantic problems, in line order",
			"customer_wait: soon\nretry:\n  hours: 3\n  max_attempts: 99\nsegments:\n  - {name: big, when: 'invoice.amount_due > \"x\"'}\n",
			[]string{
				`p.yaml:1:16: customer_wait: invalid duration "soon": use 15d, 36h or 90m`,
				`p.yaml:3:3: retry.hours: unknown key "hours" (did you mean "hour"?)`,
				`p.yaml:4:17: retry.max_attempts: must be 0-20, got 99 (card networks fine excessive retries)`,
				`p.yaml:6:43: segments[0].when: invalid rule: found no matching overload for '_>_' applied to '(int, string)'`,
			}},
		{"wrong type and a range problem",
			"retry:\n  hour: ten\n  max_attempts: 50\n",
			[]string{
				`p.yaml:2:9: retry.hour: want a whole number, got "ten" (write a whole number without quotes, e.g. 10)`,
				`p.yaml:3:17: retry.max_attempts: must be 0-20, got 50 (card networks fine excessive retries)`,
			}},
		{"problems in a segment, in column order",
			"segments:\n  - {name: a, when: 'true', campaign: {hour: 25}, retry: {hour: -1}}\n",
			[]string{
				`p.yaml:2:46: segments[0].campaign.hour: hour must be 0-23, got 25`,
				`p.yaml:2:65: segments[0].retry.hour: hour must be 0-23, got -1`,
			}},
		{"a misspelt template",
			"campaign:\n  steps:\n    - {day: 0, template: update_crad}\n    - {day: 3, template: payment_failed}\n",
			[]string{`p.yaml:3:26: campaign.steps[0].template: unknown template "update_crad" (did you mean "update_card"?)`}},
		{"a template of one's own without its words",
			"segments:\n  - name: vip\n    when: 'true'\n    campaign:\n      steps:\n        - {day: 1, template: personal_note}\n",
			[]string{`p.yaml:6:30: segments[0].campaign.steps[0].template: unknown template "personal_note" (the shipped templates are default, final_notice, payment_failed, suspension_notice, update_card; a template of your own needs its words in the template directory (RECOUP_TEMPLATES), given to the check too (recoup policy check --templates DIR))`}},
		{"an empty file", "", []string{"p.yaml: the policy file is empty: write the settings that differ from the defaults, or {} to take every default"}},
		{"only comments", "# the policy\n\n# nothing yet\n", []string{"p.yaml: the policy file is empty: write the settings that differ from the defaults, or {} to take every default"}},
		{"hour 25, once", "campaign:\n  hour: 25\n", []string{`p.yaml:2:9: campaign.hour: hour must be 0-23, got 25`}},
		{"hour in the quiet hours, once although a segment inherits it",
			"campaign:\n  hour: 22\nsegments:\n  - {name: a, when: 'true', campaign: {steps: [{day: 0, template: update_card}]}}\n",
			[]string{`p.yaml:2:9: campaign.hour: hour 22 falls in the quiet hours [21, 8]: messages would all wait until 08:00`}},
		{"bad quiet hours, once", "campaign:\n  quiet_hours: [25, 8]\n  hour: 22\n",
			[]string{`p.yaml:2:16: campaign.quiet_hours: must be [from, to] local hours 0-23, e.g. [21, 8] (nothing sent from 21:00 to 08:00); [0, 0] for none`}},
		{"a rule of the wrong type is not missing too", "segments:\n  - {name: a, when: [x]}\n",
			[]string{`p.yaml:2:21: segments[0].when: want a single value, got a list (quote the value if it is text)`}},
		{"a misspelt key is not missing too", "segments:\n  - {nmae: a, when: 'true'}\n",
			[]string{`p.yaml:2:6: segments[0].nmae: unknown key "nmae" (did you mean "name"?)`}},
		{"a step's template of the wrong type is not missing too", "campaign:\n  steps:\n    - {day: 0, template: [a]}\n",
			[]string{`p.yaml:3:26: campaign.steps[0].template: want a single value, got a list (quote the value if it is text)`}},
		{"a model setting of the wrong type", "retry:\n  strategy: model\n  model: {daily_discount: high}\n",
			[]string{`p.yaml:3:27: retry.model.daily_discount: want a number, got "high" (write a number without quotes, e.g. 0.95)`}},
		{"a segment's timing problem at its own place", "segments:\n  - name: a\n    when: 'true'\n    retry: {strategy: guess}\n",
			[]string{`p.yaml:4:23: segments[0].retry.strategy: unknown strategy "guess": use schedule (retry.schedule_days) or model (learned timing)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Parse("p.yaml", []byte(tc.src))
			var pe *policy.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *policy.Error", err)
			}
			var got []string
			for _, p := range pe.Problems {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	// An explicit empty mapping takes every default.
	if _, err := policy.Parse("p.yaml", []byte("{}\n")); err != nil {
		t.Fatalf("{}: %v", err)
	}
}
