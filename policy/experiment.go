package policy

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/recoup-hq/recoup"
)

// An experiment compares arms on the business's own customers: the control arm, left to
// Stripe's own recovery while recoup only observes, and arms of the policy, each the policy with
// some of its rules overridden. A customer's arm comes from a hash of the experiment's name and
// the customer's id (Assign); the store keeps the first assignment for the customer's later
// invoices.

// ExperimentUnit is the only unit of assignment: a customer stays in one arm across invoices.
const ExperimentUnit = "customer"

// DefaultFloor is optimize's floor when the file does not set one: 10% of all cases.
const DefaultFloor = 0.10

// Experiment is a validated experiment of the policy file.
type Experiment struct {
	// Name names the experiment in the store forever.
	Name string
	// Unit is what is assigned to an arm: ExperimentUnit.
	Unit string
	// Arms are in the file's order, which Assign depends on.
	Arms []Arm
	// Optimize, when set, lets the allocation among the policy arms adapt; nil: the shares
	// stay the weights'.
	Optimize *Optimize
	// rules are each policy arm's rules per segment (DefaultSegment included): the segment's
	// rules with the arm's on top.
	rules map[string]map[string]Rules
	// overrides are each arm's settings as written, for Promote.
	overrides map[string]RulesFile
}

// Arm is one arm of an experiment.
type Arm struct {
	Name string
	// Share is the arm's weight over the sum of the weights.
	Share float64
	// Control marks the arm left to Stripe (stripe: true): recoup only observes its cases.
	Control bool
	// Fixed marks a policy arm whose share stays its weight's under optimize, like the
	// control's (fixed: true): a baseline the adapting arms are measured against.
	Fixed bool
	// Overrides are the settings the arm overrides, in words, in the schema's order ("retry
	// days", "campaign steps"); empty for the control and for an arm that runs the policy as
	// written.
	Overrides []string
}

// Optimize is the adaptive allocation among the policy arms (Thompson sampling); the control
// keeps its share.
type Optimize struct {
	// Floor is the least share of all cases each adapting policy arm keeps, 0-0.5.
	Floor float64
	// By is how the learning is split: "" (all customers together) or OptimizeByTimeZone.
	By string
}

// OptimizeByTimeZone learns the shares apart for each group of customers whose time zones have
// the same standard offset from UTC (optimize: {by: time_zone}).
const OptimizeByTimeZone = "time_zone"

// Adapts reports whether the arm's share follows the results under optimize: a policy arm that
// is not fixed.
func (a Arm) Adapts() bool { return !a.Control && !a.Fixed }

// FixedShare is the share of all cases that optimize leaves where the weights put it: the
// control's and the fixed arms'.
func (e *Experiment) FixedShare() float64 {
	s := 0.0
	for _, a := range e.Arms {
		if !a.Adapts() {
			s += a.Share
		}
	}
	return s
}

// Arm returns the arm of that name.
func (e *Experiment) Arm(name string) (Arm, bool) {
	for _, a := range e.Arms {
		if a.Name == name {
			return a, true
		}
	}
	return Arm{}, false
}

// Shares returns the arms' shares as the weights give them, in arm order.
func (e *Experiment) Shares() []float64 {
	out := make([]float64, len(e.Arms))
	for i, a := range e.Arms {
		out[i] = a.Share
	}
	return out
}

// Assign returns the arm of a customer, as a pure function of the experiment's name, the
// customer's id and the shares (nil: Shares()). u is the first 8 bytes of
// sha256(name + "\x00" + customerID), big-endian, over 2^64 (its top 53 bits, so that u < 1
// exactly); the arm is the one whose interval of the cumulative shares, in arm order, holds u.
// The result therefore depends on the order of the arms: reordering the arms of a running
// experiment moves customers between arms (the store's sticky assignment keeps those already
// assigned where they were). Shares of the wrong length, or with no positive entry, are
// replaced by Shares(); negative ones count as 0; they need not sum to 1.
func (e *Experiment) Assign(customerID string, shares []float64) Arm {
	if len(e.Arms) == 0 {
		return Arm{}
	}
	if len(shares) != len(e.Arms) || !anyPositive(shares) {
		shares = e.Shares()
	}
	total := 0.0
	for _, s := range shares {
		total += positive(s)
	}
	sum := sha256.Sum256([]byte(e.Name + "\x00" + customerID))
	u := float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
	cum := 0.0
	last := 0
	for i, s := range shares {
		if positive(s) == 0 {
			continue
		}
		cum += positive(s) / total
		last = i
		if u < cum {
			return e.Arms[i]
		}
	}
	return e.Arms[last] // u within rounding of 1
}

func positive(s float64) float64 {
	if s > 0 && !math.IsInf(s, 1) {
		return s
	}
	return 0
}

func anyPositive(xs []float64) bool {
	return slices.ContainsFunc(xs, func(x float64) bool { return positive(x) > 0 })
}

// ForCase returns the policy as a case of segment in arm sees it: For(segment) with the arm's
// rules on top. An empty or unknown arm (an experiment removed or changed by a reload) gives
// For(segment). The control arm's view has the segment's rules, Mode observe and Control true:
// recoup records what it would do and Stripe handles the invoice.
func (p *Policy) ForCase(segment, arm string) *Policy {
	base := p.For(segment)
	if p.Experiment == nil || arm == "" {
		return base
	}
	a, ok := p.Experiment.Arm(arm)
	if !ok {
		return base
	}
	v := *base
	v.arm = a.Name
	if a.Control {
		v.Mode, v.control = ModeObserve, true
		return &v
	}
	if r, ok := p.Experiment.rules[a.Name][base.Segment]; ok {
		v.Rules = r
	}
	return &v
}

// Control reports whether this is the view of a case in an experiment's control arm: Stripe
// handles its invoice, recoup only observes.
func (p *Policy) Control() bool { return p.control }

// Promote returns the policy with the arm's rules made the rules of every segment and the
// experiment removed: a new policy, with its own Version and a Source that parses to it (the
// file as decoded, the arm's settings merged into the top level and into each segment, written
// again as YAML under a comment that says where it comes from: the original comments are not
// kept). Promoting the control arm gives the policy in mode observe: Stripe handles every
// invoice and recoup records what it would do. Promoting a policy arm keeps the file's mode.
func (p *Policy) Promote(arm string) (*Policy, error) {
	e := p.Experiment
	if e == nil {
		return nil, recoup.Errorf(recoup.EINVALID, "the policy has no experiment: there is no arm to promote")
	}
	a, ok := e.Arm(arm)
	if !ok {
		names := make([]string, len(e.Arms))
		for i, x := range e.Arms {
			names[i] = x.Name
		}
		return nil, recoup.Errorf(recoup.EINVALID, "experiment %s has no arm %q: its arms are %s", e.Name, arm, strings.Join(names, ", "))
	}
	if p.file == nil {
		return nil, recoup.Errorf(recoup.EINVALID, "this policy was not loaded from a file: it cannot be written again")
	}
	f := *p.file
	f.Experiment = nil
	how := "its rules on top of every segment's"
	if a.Control {
		observe := string(ModeObserve)
		f.Mode = &observe
		how = "mode observe: Stripe handles every invoice, recoup records what it would do"
	} else {
		over := e.overrides[a.Name]
		f.RulesFile = mergeRulesFile(f.RulesFile, over)
		f.Segments = slices.Clone(f.Segments)
		for i := range f.Segments {
			f.Segments[i].RulesFile = mergeRulesFile(f.Segments[i].RulesFile, over)
		}
	}
	body, err := yaml.MarshalWithOptions(&f, yaml.OmitZero(), yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return nil, fmt.Errorf("promote arm %s: write the policy: %w", a.Name, err)
	}
	src := fmt.Appendf(nil, "# Promoted from policy version %s: arm %s of experiment %s, %s.\n# Written by recoup; the comments of the original file are not kept.\n\n",
		p.Version, a.Name, e.Name, how)
	src = append(src, body...)
	out, err := ParseWith(p.name, src, p.opts)
	if err != nil {
		return nil, fmt.Errorf("promote arm %s: the promoted policy does not load: %w", a.Name, err)
	}
	return out, nil
}

// mergeRulesFile returns base with the settings of over on top, as the loader applies a
// segment's (or an arm's) settings: field by field inside retry (and its model), campaign and
// declines; payment_plan, a campaign's steps and every list as a whole.
func mergeRulesFile(base, over RulesFile) RulesFile {
	out := base
	mergeFields(reflect.ValueOf(&out).Elem(), reflect.ValueOf(over))
	return out
}

// mergeFields sets every field of dst that src sets, recursing into the settings merged field by
// field. dst's pointers are replaced, never written through: base stays as it was.
func mergeFields(dst, src reflect.Value) {
	for i := range src.NumField() {
		s, d := src.Field(i), dst.Field(i)
		if s.IsNil() {
			continue
		}
		switch s.Type() {
		case reflect.TypeFor[*retry](), reflect.TypeFor[*campaign](), reflect.TypeFor[*declines](), reflect.TypeFor[*model]():
			if !d.IsNil() {
				merged := reflect.New(s.Type().Elem())
				merged.Elem().Set(d.Elem())
				mergeFields(merged.Elem(), s.Elem())
				d.Set(merged)
				continue
			}
		}
		d.Set(s)
	}
}

// overrideWords names in words the settings an arm's rules set, in the schema's order.
var overrideWords = map[string]string{
	"retry.schedule_days":     "retry days",
	"retry.hour":              "retry hour",
	"retry.max_attempts":      "most charges",
	"retry.max_duration":      "retry window",
	"retry.min_gap":           "least gap between charges",
	"retry.error_delay":       "wait after a failed call",
	"retry.error_limit":       "failed calls before the strategy",
	"retry.wait_for_customer": "declines that wait for the customer",
	"retry.strategy":          "retry strategy",
	"retry.technical":         "rapid retries of technical failures",
	"retry.model":             "learned timing settings",
	"retry.large_invoices":    "more tries for large invoices",
	"customer_wait":           "customer wait",
	"grace_period":            "grace period",
	"final_action":            "final action",
	"final_after":             "final action delay",
	"manual_review":           "manual review",
	"declines":                "decline-code rules",
	"campaign.hour":           "send hour",
	"campaign.quiet_hours":    "quiet hours",
	"campaign.steps":          "campaign steps",
	"payment_plan":            "payment plan",
	"offers":                  "offers on the card update page",
	"backup_payment_method":   "backup payment method",
	"settle_remainder_below":  "settling a small rest",
	"team_alert":              "team alert",
}

// overrideKeys lists the keys r sets, "retry" and "campaign" by their own keys ("retry.hour").
func overrideKeys(r *RulesFile) []string {
	var out []string
	rv := reflect.ValueOf(r).Elem()
	for i := range rv.NumField() {
		f, fv := rv.Type().Field(i), rv.Field(i)
		if fv.IsNil() {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if t := fv.Type(); t == reflect.TypeFor[*retry]() || t == reflect.TypeFor[*campaign]() {
			sub := fv.Elem()
			for j := range sub.NumField() {
				if !sub.Field(j).IsNil() {
					k, _, _ := strings.Cut(sub.Type().Field(j).Tag.Get("yaml"), ",")
					out = append(out, key+"."+k)
				}
			}
			continue
		}
		out = append(out, key)
	}
	return out
}

// validExperimentName reports a name of lower-case letters, digits and -.
func validExperimentName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

// maxWeight bounds a weight, so that the sum of the weights stays a number.
const maxWeight = 1e6

// experiment validates the experiment and resolves each policy arm's rules over every segment
// of p.
func (v *validator) experiment(in *experiment, p *Policy) *Experiment {
	const base = "$.experiment"
	e := &Experiment{Unit: ExperimentUnit, rules: map[string]map[string]Rules{}, overrides: map[string]RulesFile{}}
	switch {
	case in.Name == nil && v.refused[base+".name"]:
	case in.Name == nil || *in.Name == "":
		v.fail(base, "an experiment needs a name (lower-case letters, digits and -, e.g. recoup-vs-stripe): it names the experiment in the store for good")
	case !validExperimentName(*in.Name):
		v.fail(base+".name", "experiment name %q: use lower-case letters, digits and - only, at most 64", *in.Name)
	default:
		e.Name = *in.Name
	}
	switch {
	case in.Unit == nil && v.refused[base+".unit"]:
	case in.Unit == nil:
		v.fail(base, "an experiment needs a unit: customer (the only one supported: a customer stays in one arm across invoices)")
	case *in.Unit != ExperimentUnit:
		v.fail(base+".unit", "unit %q is not supported: the only unit is customer (a customer stays in one arm across invoices)", *in.Unit)
	}
	if len(in.Arms) < 2 && !v.refused[base+".arms"] {
		path := base + ".arms"
		if in.Arms == nil {
			path = base
		}
		v.fail(path, "an experiment needs at least 2 arms, got %d (e.g. a control with stripe: true and an arm of the policy)", len(in.Arms))
	}
	var (
		names       = map[string]bool{}
		weights     []float64
		weightsOK   = true
		control     = -1
		controlName string
		policyArms  int // the policy arms that adapt under optimize
		policyShare float64
		fixedArms   []string
	)
	for i, a := range in.Arms {
		path := fmt.Sprintf("%s.arms[%d]", base, i)
		out := Arm{}
		switch {
		case a.Name == nil && v.refused[path+".name"]:
		case a.Name == nil || *a.Name == "":
			v.fail(path, "an arm needs a name (lower-case letters, digits and -, e.g. stripe or recoup)")
		case !validExperimentName(*a.Name):
			v.fail(path+".name", "arm name %q: use lower-case letters, digits and - only, at most 64", *a.Name)
		case names[*a.Name]:
			v.fail(path+".name", "arm name %q is used twice", *a.Name)
		default:
			out.Name = *a.Name
			names[out.Name] = true
		}
		w := 0.0
		switch {
		case a.Weight == nil:
			weightsOK = false
			if !v.refused[path+".weight"] {
				v.fail(path, "an arm needs a weight (a positive number: the arm's share is its weight over the sum of the weights)")
			}
		case !(*a.Weight > 0) || *a.Weight > maxWeight:
			weightsOK = false
			v.fail(path+".weight", "weight must be a positive number up to %d, got %v", int(maxWeight), *a.Weight)
		default:
			w = *a.Weight
		}
		weights = append(weights, w)
		if a.Stripe != nil && *a.Stripe {
			out.Control = true
			if control >= 0 {
				v.fail(path+".stripe", "only one arm can be the control left to Stripe: arm %d (%s) is already", control+1, controlName)
			} else {
				control, controlName = i, out.Name
			}
			if a.Fixed != nil {
				v.fail(path+".fixed", "the control arm (stripe: true) keeps its weight's share already: remove fixed")
			}
			for _, k := range setKeys(&a.RulesFile) {
				v.fail(path+"."+k, "the control arm (stripe: true) leaves the invoice to Stripe and recoup only observes: it sets nothing but its name and weight (remove %s)", k)
			}
		} else {
			if a.Fixed != nil && *a.Fixed {
				out.Fixed = true
				fixedArms = append(fixedArms, path)
			} else {
				policyArms++
			}
			for _, k := range overrideKeys(&a.RulesFile) {
				out.Overrides = append(out.Overrides, overrideWords[k])
			}
			if out.Name != "" {
				e.overrides[out.Name] = a.RulesFile
				e.rules[out.Name] = v.armRules(path, &a.RulesFile, p)
			} else {
				v.armRules(path, &a.RulesFile, p) // still report its problems
			}
		}
		e.Arms = append(e.Arms, out)
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	if weightsOK && sum > 0 {
		for i := range e.Arms {
			e.Arms[i].Share = weights[i] / sum
			if e.Arms[i].Adapts() {
				policyShare += e.Arms[i].Share
			}
		}
	}
	if o := in.Optimize; o != nil {
		path := base + ".optimize"
		e.Optimize = &Optimize{Floor: DefaultFloor}
		if policyArms < 2 {
			v.fail(path, "optimize adapts the shares among the policy arms: it needs at least 2 arms that are not the control nor fixed, got %d", policyArms)
		}
		if o.By != nil {
			switch *o.By {
			case OptimizeByTimeZone:
				e.Optimize.By = OptimizeByTimeZone
			default:
				v.fail(path+".by", "by %q: the only split is time_zone (learn apart for each group of customers whose time zones have the same standard offset from UTC); leave it out to learn from all customers together", *o.By)
			}
		}
		floorOK := true
		if o.Floor != nil {
			if !(*o.Floor >= 0 && *o.Floor <= 50) {
				v.fail(path+".floor", "floor must be 0-50 (percent of all cases each policy arm keeps), got %v", *o.Floor)
				floorOK = false
			} else {
				e.Optimize.Floor = *o.Floor / 100
			}
		}
		if need := e.Optimize.Floor * float64(policyArms); floorOK && weightsOK && policyArms >= 2 && need > policyShare+1e-9 {
			fpath := path + ".floor"
			if o.Floor == nil {
				fpath = path
			}
			v.fail(fpath, "a floor of %s%% for each of the %d adapting policy arms needs %s%% of all cases, but they share %s%% (the control and the fixed arms keep their %s%%): lower the floor or their weights",
				pct(e.Optimize.Floor), policyArms, pct(need), pct(policyShare), pct(1-policyShare))
		}
	}
	if in.Optimize == nil {
		for _, p := range fixedArms {
			v.fail(p+".fixed", "fixed keeps an arm's share while optimize adapts the others: this experiment has no optimize (remove fixed, or add optimize)")
		}
	}
	return e
}

func pct(x float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", x*100), "0"), ".")
}

// setKeys lists the rules keys r sets at its top level.
func setKeys(r *RulesFile) []string {
	var out []string
	rv := reflect.ValueOf(r).Elem()
	for i := range rv.NumField() {
		if !rv.Field(i).IsNil() {
			k, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("yaml"), ",")
			out = append(out, k)
		}
	}
	return out
}

// armRules resolves an arm's rules over the default rules and each segment's, validated as a
// segment's are. A problem is reported once, at the arm's setting, even when it shows over more
// than one segment; one that only a segment's rules cause names the segment.
func (v *validator) armRules(path string, r *RulesFile, p *Policy) map[string]Rules {
	out := map[string]Rules{}
	resolve := func(segment string, base Rules) {
		rules := cloneRules(base)
		n := len(v.problems)
		v.rules(path, r, &rules)
		kept := v.problems[:n]
		for _, pr := range v.problems[n:] {
			if slices.Contains(kept, pr) {
				continue
			}
			if segment != DefaultSegment {
				// Only this segment's rules make the arm's setting wrong: say which.
				pr.Message += " (over the rules of segment " + segment + ")"
			}
			kept = append(kept, pr)
		}
		v.problems = kept
		out[segment] = rules
	}
	resolve(DefaultSegment, p.Rules)
	for _, s := range p.Segments {
		if s.Name != "" {
			resolve(s.Name, s.Rules)
		}
	}
	return out
}
