package policy_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// The shipped experiments run recoup's built-in policy unchanged in their policy arms.
func TestShippedExperiments(t *testing.T) {
	def := policy.Default()
	for file, want := range map[string][]policy.Arm{
		"experiment.yaml": {{Name: "stripe", Share: 0.5, Control: true}, {Name: "recoup", Share: 0.5}},
		"aa.yaml":         {{Name: "a", Share: 0.5}, {Name: "b", Share: 0.5}},
	} {
		t.Run(file, func(t *testing.T) {
			p, err := policy.Load("../policies/examples/" + file)
			if err != nil {
				t.Fatal(err)
			}
			e := p.Experiment
			if e == nil || e.Unit != "customer" || e.Optimize != nil || !reflect.DeepEqual(e.Arms, want) {
				t.Fatalf("experiment = %+v, want arms %+v", e, want)
			}
			if !reflect.DeepEqual(p.Rules, def.Rules) || p.Mode != def.Mode {
				t.Errorf("%s does not repeat the built-in policy (policy/default.yaml): its rules differ", file)
			}
			for _, a := range e.Arms {
				v := p.ForCase(policy.DefaultSegment, a.Name)
				if !reflect.DeepEqual(v.Rules, def.Rules) {
					t.Errorf("arm %s: the rules differ from the built-in policy's", a.Name)
				}
				if v.Control() != a.Control || v.Observing() != a.Control || v.Arm() != a.Name {
					t.Errorf("arm %s: Control %v, Observing %v, Arm %q", a.Name, v.Control(), v.Observing(), v.Arm())
				}
			}
		})
	}
}

func TestExperimentProblems(t *testing.T) {
	const arms = "  arms:\n    - {name: stripe, stripe: true, weight: 1}\n    - {name: recoup, weight: 1}\n"
	for _, tc := range []struct{ name, src, want, at string }{
		{"no name", "experiment:\n  unit: customer\n" + arms, "experiment: an experiment needs a name", "unit"},
		{"bad name", "experiment:\n  name: Recoup vs\n  unit: customer\n" + arms, `experiment.name: experiment name "Recoup vs": use lower-case letters`, "Recoup vs"},
		{"no unit", "experiment:\n  name: x\n" + arms, "experiment: an experiment needs a unit: customer (the only one supported", "name"},
		{"other unit", "experiment:\n  name: x\n  unit: invoice\n" + arms, `experiment.unit: unit "invoice" is not supported: the only unit is customer`, "invoice"},
		{"unknown key", "experiment:\n  name: x\n  unit: customer\n  armz: []\n" + arms, `experiment.armz: unknown key "armz" (did you mean "arms"?)`, "armz"},
		{"wrong type", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: lots}\n    - {name: b, weight: 1}\n", `experiment.arms[0].weight: want a number, got "lots"`, "lots"},
		{"one arm", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 1}\n", "experiment.arms: an experiment needs at least 2 arms, got 1", "- {name: a"},
		{"no arms", "experiment:\n  name: x\n  unit: customer\n", "experiment: an experiment needs at least 2 arms, got 0", "name"},
		{"arm name twice", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 1}\n    - {name: a, weight: 1}\n", `experiment.arms[1].name: arm name "a" is used twice`, "a, weight"},
		{"arm name", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: A_1, weight: 1}\n    - {name: b, weight: 1}\n", `experiment.arms[0].name: arm name "A_1": use lower-case letters`, "A_1"},
		{"no weight", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a}\n    - {name: b, weight: 1}\n", "experiment.arms[0]: an arm needs a weight", "name: a}"},
		{"zero weight", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 0}\n    - {name: b, weight: 1}\n", "experiment.arms[0].weight: weight must be a positive number up to 1000000, got 0", "0}"},
		{"two controls", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, stripe: true, weight: 1}\n    - {name: b, stripe: true, weight: 1}\n", "experiment.arms[1].stripe: only one arm can be the control left to Stripe: arm 1 (a) is already", "true, weight: 1}\n"},
		{"control sets rules", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, stripe: true, weight: 1, final_action: cancel_subscription}\n    - {name: b, weight: 1}\n", "experiment.arms[0].final_action: the control arm (stripe: true) leaves the invoice to Stripe and recoup only observes: it sets nothing but its name and weight (remove final_action)", "cancel_subscription"},
		{"arm rules as a segment's", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 1}\n    - name: b\n      weight: 1\n      retry: {hour: 25}\n", "experiment.arms[1].retry.hour: hour must be 0-23, got 25", "25"},
		{"arm template", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 1}\n    - name: b\n      weight: 1\n      campaign: {steps: [{day: 1, template: updat_card}]}\n", `experiment.arms[1].campaign.steps[0].template: unknown template "updat_card" (did you mean "update_card"?)`, "updat_card"},
		{"optimize one policy arm", "experiment:\n  name: x\n  unit: customer\n" + arms + "  optimize: {floor: 10}\n", "experiment.optimize: optimize adapts the shares among the policy arms: it needs at least 2 arms that are not the control nor fixed, got 1", "floor"},
		{"optimize fixed arms", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 1, fixed: true}\n    - {name: b, weight: 1, fixed: true}\n    - {name: c, weight: 1}\n  optimize: {}\n", "experiment.optimize: optimize adapts the shares among the policy arms: it needs at least 2 arms that are not the control nor fixed, got 1", "{}"},
		{"floor range", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 1}\n    - {name: b, weight: 1}\n  optimize: {floor: 51}\n", "experiment.optimize.floor: floor must be 0-50 (percent of all cases each policy arm keeps), got 51", "51"},
		{"floor too high", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: s, stripe: true, weight: 60}\n    - {name: a, weight: 20}\n    - {name: b, weight: 20}\n  optimize: {floor: 25}\n", "experiment.optimize.floor: a floor of 25% for each of the 2 adapting policy arms needs 50% of all cases, but they share 40% (the control and the fixed arms keep their 60%)", "25}"},
		{"floor with a fixed arm", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: f, fixed: true, weight: 60}\n    - {name: a, weight: 20}\n    - {name: b, weight: 20}\n  optimize: {floor: 25}\n", "experiment.optimize.floor: a floor of 25% for each of the 2 adapting policy arms needs 50% of all cases, but they share 40% (the control and the fixed arms keep their 60%)", "25}"},
		{"fixed without optimize", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 1, fixed: true}\n    - {name: b, weight: 1}\n", "experiment.arms[0].fixed: fixed keeps an arm's share while optimize adapts the others: this experiment has no optimize", "true}"},
		{"fixed control", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: s, stripe: true, fixed: true, weight: 1}\n    - {name: a, weight: 1}\n    - {name: b, weight: 1}\n  optimize: {}\n", "experiment.arms[0].fixed: the control arm (stripe: true) keeps its weight's share already: remove fixed", "true, weight"},
		{"optimize by", "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 1}\n    - {name: b, weight: 1}\n  optimize: {by: country}\n", `experiment.optimize.by: by "country": the only split is time_zone`, "country"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Parse("p.yaml", []byte(tc.src))
			var pe *policy.Error
			if !errors.As(err, &pe) {
				t.Fatalf("want a *policy.Error, got %v", err)
			}
			var got []string
			for _, p := range pe.Problems {
				got = append(got, p.String())
			}
			if len(got) != 1 || !strings.Contains(got[0], ": "+tc.want) {
				t.Fatalf("problems:\n%s\nwant exactly one saying %q", strings.Join(got, "\n"), tc.want)
			}
			// Its position is that of the setting at fault.
			pr := pe.Problems[0]
			lines := strings.Split(tc.src, "\n")
			if pr.Line < 1 || pr.Line > len(lines) || pr.Column < 1 || !strings.HasPrefix(lines[pr.Line-1][pr.Column-1:]+"\n", tc.at) {
				t.Errorf("%s: want the position of %q", got[0], tc.at)
			}
		})
	}
}

// An arm's setting that is wrong over every segment is reported once, and the problems of
// the experiment come in the file's order with the others.
func TestExperimentProblemsOnceInFileOrder(t *testing.T) {
	src := `retry: {hour: 30}
segments:
  - {name: a, when: "true"}
experiment:
  name: x
  unit: customer
  arms:
    - {name: s, stripe: true, weight: 1}
    - name: p
      weight: 1
      customer_wait: soon
final_action: shred
`
	_, err := policy.Parse("p.yaml", []byte(src))
	var pe *policy.Error
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pe.Problems {
		got = append(got, fmt.Sprintf("%d:%s", p.Line, p.Path))
	}
	want := []string{"1:$.retry.hour", "11:$.experiment.arms[1].customer_wait", "12:$.final_action"}
	if !slices.Equal(got, want) {
		t.Fatalf("problems at %v, want %v\n%v", got, want, err)
	}
}

// An experiment in observe mode is valid: every arm only observes.
func TestExperimentInObserveModeIsValid(t *testing.T) {
	p := mustParse(t, "mode: observe\nexperiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: s, stripe: true, weight: 1}\n    - {name: p, weight: 1}\n")
	if p.Experiment == nil || !p.ForCase("", "p").Observing() || p.ForCase("", "p").Control() {
		t.Fatalf("observe-mode experiment: %+v", p.Experiment)
	}
}

const segmentsAndArms = `retry: {schedule_days: [0, 3], hour: 10, max_attempts: 2}
campaign:
  steps: [{day: 1, template: payment_failed, tone: gentle}]
segments:
  - name: big
    when: invoice.amount_due >= 100000
    retry: {max_attempts: 5}
    final_action: cancel_subscription
experiment:
  name: tones
  unit: customer
  arms:
    - {name: stripe, stripe: true, weight: 2}
    - {name: base, weight: 1}
    - name: late
      weight: 1
      retry: {hour: 18}
      campaign:
        hour: 18
        steps: [{day: 0, template: update_card, tone: urgent}]
`

// An arm's settings apply on top of each segment's rules; the control's view observes.
func TestForCase(t *testing.T) {
	p := mustParse(t, segmentsAndArms)
	e := p.Experiment
	if got := e.Shares(); !slices.Equal(got, []float64{0.5, 0.25, 0.25}) {
		t.Fatalf("shares %v", got)
	}
	if a, _ := e.Arm("late"); !slices.Equal(a.Overrides, []string{"retry hour", "send hour", "campaign steps"}) {
		t.Errorf("late overrides %q", a.Overrides)
	}
	if a, _ := e.Arm("base"); len(a.Overrides) != 0 {
		t.Errorf("base overrides %q", a.Overrides)
	}

	big := p.ForCase("big", "late")
	if big.Segment != "big" || big.Retry.Hour != 18 || big.Retry.MaxAttempts != 5 || big.FinalAction != recoup.FinalCancelSubscription ||
		big.Campaign.Hour != 18 || len(big.Campaign.Steps) != 1 || big.Campaign.Steps[0].Tone != "urgent" || !slices.Equal(big.Retry.Days, []int{0, 3}) {
		t.Errorf("big in late: segment %s, retry %+v, final %s, campaign %+v", big.Segment, big.Retry, big.FinalAction, big.Campaign)
	}
	def := p.ForCase("", "late")
	if def.Segment != policy.DefaultSegment || def.Retry.Hour != 18 || def.Retry.MaxAttempts != 2 || def.Campaign.Steps[0].Template != "update_card" {
		t.Errorf("default in late: %+v %+v", def.Retry, def.Campaign)
	}
	// The arm changed nothing of the policy it was applied to.
	if s := p.For("big"); s.Retry.Hour != 10 || s.Campaign.Hour != 10 || s.Campaign.Steps[0].Tone != "gentle" {
		t.Errorf("the arm leaked into the segment's own rules: %+v %+v", s.Retry, s.Campaign)
	}
	if base := p.ForCase("big", "base"); !reflect.DeepEqual(base.Rules, p.For("big").Rules) || base.Observing() {
		t.Error("an arm that overrides nothing does not run the segment's rules as they are")
	}
	ctl := p.ForCase("big", "stripe")
	if !ctl.Control() || !ctl.Observing() || ctl.Segment != "big" || !reflect.DeepEqual(ctl.Rules, p.For("big").Rules) || p.Observing() {
		t.Errorf("control view: control %v observing %v segment %s", ctl.Control(), ctl.Observing(), ctl.Segment)
	}
	for _, arm := range []string{"", "gone"} {
		if v := p.ForCase("big", arm); v != p.For("big") && !reflect.DeepEqual(*v, *p.For("big")) || v.Control() || v.Arm() != "" {
			t.Errorf("arm %q: want For(segment)", arm)
		}
	}
	// A segment removed by a reload: the default segment with the arm on top.
	if v := p.ForCase("removed", "late"); v.Segment != policy.DefaultSegment || v.Retry.Hour != 18 {
		t.Errorf("unknown segment: %s %+v", v.Segment, v.Retry)
	}
	// Without an experiment, ForCase is For.
	plain := policy.Default()
	if plain.ForCase("", "late") != plain {
		t.Error("a policy without an experiment gives another view")
	}
}

// Assign is a pure function of the experiment's name, the customer and the shares.
func TestAssignIsDeterministic(t *testing.T) {
	p := mustParse(t, segmentsAndArms)
	q := mustParse(t, segmentsAndArms)
	for i := range 1000 {
		id := fmt.Sprintf("cus_%d", i)
		a := p.Experiment.Assign(id, nil)
		if b := q.Experiment.Assign(id, nil); a.Name != b.Name {
			t.Fatalf("%s: %s then %s", id, a.Name, b.Name)
		}
		if b := p.Experiment.Assign(id, p.Experiment.Shares()); a.Name != b.Name {
			t.Fatalf("%s: nil shares %s, Shares() %s", id, a.Name, b.Name)
		}
	}
}

// The arm is the one whose cumulative share interval holds u = first 8 bytes of
// sha256(name NUL customer) / 2^64, computed here independently in exact arithmetic.
func TestAssignFollowsTheContract(t *testing.T) {
	p := mustParse(t, segmentsAndArms)
	e := p.Experiment
	for i := range 2000 {
		id := fmt.Sprintf("cus_%x", i*7919)
		sum := sha256.Sum256([]byte("tones\x00" + id))
		u := new(big.Rat).SetFrac(new(big.Int).SetBytes(sum[:8]), new(big.Int).Lsh(big.NewInt(1), 64))
		want := "late"
		switch {
		case u.Cmp(big.NewRat(1, 2)) < 0:
			want = "stripe"
		case u.Cmp(big.NewRat(3, 4)) < 0:
			want = "base"
		}
		if got := e.Assign(id, nil); got.Name != want {
			t.Fatalf("%s: u=%s: got %s, want %s", id, u.FloatString(6), got.Name, want)
		}
	}
}

// Over many customers each arm's count is within the binomial spread of its share, for the
// weights' shares and for shares passed in (as optimize does). The tolerance is 5 standard
// deviations of a binomial count: a correct Assign fails it with probability below 1e-6 per arm
// (and the hash is fixed, so it fails never or always).
func TestAssignRespectsShares(t *testing.T) {
	p := mustParse(t, segmentsAndArms)
	e := p.Experiment
	const n = 100_000
	for _, shares := range [][]float64{nil, {0.1, 0.6, 0.3}, {0.5, 0, 0.5}, {2, 1, 1}} {
		want := shares
		if want == nil {
			want = e.Shares()
		}
		total := 0.0
		for _, s := range want {
			total += s
		}
		counts := map[string]int{}
		for i := range n {
			counts[e.Assign(fmt.Sprintf("cus_%07d", i), shares).Name]++
		}
		for i, a := range e.Arms {
			q := want[i] / total
			mean, sd := n*q, math.Sqrt(n*q*(1-q))
			if got := float64(counts[a.Name]); math.Abs(got-mean) > 5*sd || q == 0 && got != 0 {
				t.Errorf("shares %v: arm %s got %v of %d, want %.0f ± %.0f", shares, a.Name, got, n, mean, 5*sd)
			}
		}
	}
}

// Assign depends on the order of the arms (documented): listing them in another order keeps
// the shares but moves customers between arms. And experiments with different names assign
// independently.
func TestAssignDependsOnArmOrderAndName(t *testing.T) {
	ab := mustParse(t, "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 1}\n    - {name: b, weight: 1}\n").Experiment
	ba := mustParse(t, "experiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: b, weight: 1}\n    - {name: a, weight: 1}\n").Experiment
	other := mustParse(t, "experiment:\n  name: y\n  unit: customer\n  arms:\n    - {name: a, weight: 1}\n    - {name: b, weight: 1}\n").Experiment
	const n = 10_000
	moved, sameAcrossNames, inA := 0, 0, 0
	for i := range n {
		id := fmt.Sprintf("cus_%d", i)
		x := ab.Assign(id, nil).Name
		if x == "a" {
			inA++
		}
		if ba.Assign(id, nil).Name != x {
			moved++
		}
		if other.Assign(id, nil).Name == x {
			sameAcrossNames++
		}
	}
	// With two halves, reversing the order moves every customer; two names agree about half
	// the time (5 standard deviations of a binomial of 10,000 at 1/2 is 250).
	if moved != n {
		t.Errorf("reversing the arms moved %d of %d customers, want all", moved, n)
	}
	if math.Abs(float64(sameAcrossNames)-n/2) > 250 || math.Abs(float64(inA)-n/2) > 250 {
		t.Errorf("same arm under another name: %d, in a: %d (want %d ± 250)", sameAcrossNames, inA, n/2)
	}
}

// Promoting a policy arm makes its rules every segment's and removes the experiment; the
// promoted source parses to the same policy.
func TestPromote(t *testing.T) {
	p := mustParse(t, segmentsAndArms)
	got, err := p.Promote("late")
	if err != nil {
		t.Fatal(err)
	}
	if got.Experiment != nil || got.Version == p.Version || got.Mode != policy.ModeAct || len(got.Segments) != 1 {
		t.Fatalf("promoted: experiment %v, version %s (was %s), mode %s", got.Experiment, got.Version, p.Version, got.Mode)
	}
	for _, seg := range []string{policy.DefaultSegment, "big"} {
		if want := p.ForCase(seg, "late").Rules; !reflect.DeepEqual(got.For(seg).Rules, want) {
			t.Errorf("segment %s: promoted rules\n%+v\nwant the arm's\n%+v", seg, got.For(seg).Rules, want)
		}
	}
	if got.Segments[0].When != p.Segments[0].When {
		t.Errorf("the segment's rule changed: %q", got.Segments[0].When)
	}
	again, err := policy.Parse("again.yaml", got.Source)
	if err != nil {
		t.Fatalf("the promoted source does not parse: %v\n%s", err, got.Source)
	}
	if again.Version != got.Version || !strings.HasPrefix(string(got.Source), "# Promoted from policy version "+p.Version+": arm late of experiment tones") {
		t.Errorf("source:\n%s", got.Source)
	}

	ctl, err := p.Promote("stripe")
	if err != nil {
		t.Fatal(err)
	}
	if !ctl.Observing() || ctl.Experiment != nil || !reflect.DeepEqual(ctl.Rules, p.Rules) || !reflect.DeepEqual(ctl.For("big").Rules, p.For("big").Rules) {
		t.Errorf("promoting the control: mode %s, experiment %v", ctl.Mode, ctl.Experiment)
	}
	if _, err := p.Promote("nope"); recoup.ErrorCode(err) != recoup.EINVALID || !strings.Contains(err.Error(), "its arms are stripe, base, late") {
		t.Errorf("unknown arm: %v", err)
	}
	if _, err := policy.Default().Promote("x"); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("no experiment: %v", err)
	}
}

// Every shipped policy with an experiment promotes each of its arms to a policy that parses
// again to the same rules: the merge agrees with the loader over every kind of setting the
// example's arms use.
func TestPromoteShippedExperiments(t *testing.T) {
	for _, file := range []string{"example.yaml", "experiment.yaml", "aa.yaml"} {
		src, err := os.ReadFile("../policies/examples/" + file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := policy.ParseWith(file, src, policy.Options{Templates: append(policy.BuiltinTemplates(), "personal_note", "account_manager_note", "account_manager_call")})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Experiment.Arms {
			got, err := p.Promote(a.Name)
			if err != nil {
				t.Fatalf("%s: promote %s: %v", file, a.Name, err)
			}
			segs := []string{policy.DefaultSegment}
			for _, s := range p.Segments {
				segs = append(segs, s.Name)
			}
			for _, seg := range segs {
				if !reflect.DeepEqual(got.For(seg).Rules, p.ForCase(seg, a.Name).Rules) {
					t.Errorf("%s: promote %s: segment %s differs", file, a.Name, seg)
				}
			}
			if got.Location.String() != p.Location.String() || got.Network != p.Network {
				t.Errorf("%s: promote %s: time zone or network changed", file, a.Name)
			}
		}
	}
}

// An arm's setting that only a segment's rules make wrong names the segment.
func TestArmProblemOverASegmentNamesIt(t *testing.T) {
	src := "campaign: {quiet_hours: [0, 0]}\nsegments:\n  - {name: night, when: \"true\", campaign: {quiet_hours: [21, 8]}}\nexperiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 1}\n    - {name: b, weight: 1, campaign: {hour: 22}}\n"
	_, err := policy.Parse("p.yaml", []byte(src))
	want := "p.yaml:9:45: experiment.arms[1].campaign.hour: hour 22 falls in the quiet hours [21, 8]: messages would all wait until 08:00 (over the rules of segment night)"
	var pe *policy.Error
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0].String() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// The shipped optimize example: the built-in policy, its campaign as a fixed arm and as one of
// the four adapting variants (the built-in campaign and a longer one, each at two hours), each
// adapting arm with a 5% floor; the first variant set is still shipped beside it.
func TestShippedOptimize(t *testing.T) {
	def := policy.Default()
	p, err := policy.Load("../policies/examples/optimize.yaml")
	if err != nil {
		t.Fatal(err)
	}
	x := p.Experiment
	if x == nil || x.Optimize == nil || x.Optimize.Floor != 0.05 || x.Optimize.By != "" || len(x.Arms) != 5 {
		t.Fatalf("experiment %+v", x)
	}
	if !reflect.DeepEqual(p.Rules, def.Rules) {
		t.Error("optimize.yaml does not repeat the built-in policy's rules")
	}
	if a := x.Arms[0]; a.Name != "builtin" || !a.Fixed || a.Adapts() || a.Share != 0.2 {
		t.Errorf("first arm %+v, want the fixed builtin at 20%%", a)
	}
	if x.FixedShare() != 0.2 {
		t.Errorf("fixed share %v", x.FixedShare())
	}
	for _, name := range []string{"builtin", "ladder-10"} {
		if v := p.ForCase(policy.DefaultSegment, name); !reflect.DeepEqual(v.Rules, def.Rules) {
			t.Errorf("arm %s does not run the built-in policy", name)
		}
	}
	if v := p.ForCase(policy.DefaultSegment, "longer-10"); len(v.Campaign.Steps) != 7 || v.Campaign.Hour != def.Campaign.Hour {
		t.Errorf("arm longer-10: %d steps at %d:00, want the longer sequence's 7 at the built-in hour", len(v.Campaign.Steps), v.Campaign.Hour)
	}
	tones, err := policy.Load("../policies/examples/optimize-variants/optimize-tones.yaml")
	if err != nil || len(tones.Experiment.Arms) != 5 || !tones.Experiment.Arms[0].Fixed {
		t.Fatalf("optimize-tones.yaml: %v", err)
	}
	z, err := policy.Load("../policies/examples/optimize-variants/optimize-zones.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if z.Experiment.Optimize.By != policy.OptimizeByTimeZone {
		t.Errorf("optimize-zones.yaml learns by %q", z.Experiment.Optimize.By)
	}
}
