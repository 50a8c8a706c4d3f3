package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/recoup-hq/recoup/policy"
)

// PolicyCmd groups the policy file commands.
type PolicyCmd struct {
	Check PolicyCheckCmd `cmd:"" help:"Validate a policy file and report each problem with its line and column."`
}

// PolicyCheckCmd validates a policy file.
type PolicyCheckCmd struct {
	File      string `arg:"" help:"The policy file."`
	Templates string `name:"templates" env:"RECOUP_TEMPLATES" type:"path" help:"Directory of template overrides (docs/messages.md), as serve is given: the campaign may name its templates; without it, the shipped templates only."`
}

// Run validates the file and prints its problems, one per line as FILE:LINE:COLUMN: key: problem
// (suggestion), in the order of the file, or a summary of the valid policy.
func (c *PolicyCheckCmd) Run(out io.Writer) error {
	opts, err := policyOptions(c.Templates)
	if err != nil {
		return err
	}
	p, err := policy.LoadWith(c.File, opts)
	var pe *policy.Error
	if errors.As(err, &pe) {
		for _, prob := range pe.Problems {
			fmt.Fprintln(out, prob)
		}
		return fmt.Errorf("%s: %d problem(s)", c.File, len(pe.Problems))
	}
	if err != nil {
		return err
	}
	segs := make([]string, 0, len(p.Segments)+1)
	for _, s := range p.Segments {
		segs = append(segs, s.Name)
	}
	segs = append(segs, policy.DefaultSegment)
	tmpl := "the shipped templates"
	if c.Templates != "" {
		tmpl = "the shipped templates and those of " + c.Templates
	}
	fmt.Fprintf(out, "%s: valid (version %s, mode %s, segments: %s; checked against %s)\n", c.File, p.Version, p.Mode, strings.Join(segs, ", "), tmpl)
	if p.Experiment != nil {
		printExperiment(out, p)
	}
	return nil
}

// printExperiment says in words what the policy's experiment compares: each arm with its share
// and what it overrides, the adaptive allocation, and whether anything is compared at all.
func printExperiment(out io.Writer, p *policy.Policy) {
	e := p.Experiment
	fmt.Fprintf(out, "experiment %s, by %s (a customer stays in the arm of their first failed invoice):\n", e.Name, e.Unit)
	width := 0
	for _, a := range e.Arms {
		width = max(width, len(a.Name))
	}
	for _, a := range e.Arms {
		fmt.Fprintf(out, "  %-*s %s  %s\n", width, a.Name, percent(a.Share), armWords(a))
	}
	if o := e.Optimize; o != nil {
		by := ""
		if o.By == policy.OptimizeByTimeZone {
			by = ", learned apart for each group of customers whose time zones have the same standard offset from UTC"
		}
		fmt.Fprintf(out, "  optimize: the shares of the arms of the policy that are not fixed adapt to what recovers more (Thompson sampling)%s, each keeping at least %s of all cases; the control and the fixed arms keep their shares\n", by, strings.TrimSpace(percent(o.Floor)))
	}
	if p.Observing() {
		fmt.Fprintln(out, "note: the policy is in mode observe, so recoup only observes in every arm: the experiment compares nothing until mode act")
	}
}

// armWords says what an arm does.
func armWords(a policy.Arm) string {
	switch {
	case a.Control:
		return "control: Stripe's own recovery handles the invoice, recoup only observes"
	case a.Fixed && len(a.Overrides) == 0:
		return "the policy as written (overrides nothing), its share fixed"
	case len(a.Overrides) == 0:
		return "the policy as written (overrides nothing)"
	case a.Fixed:
		return "the policy with its own " + strings.Join(a.Overrides, ", ") + ", its share fixed"
	}
	return "the policy with its own " + strings.Join(a.Overrides, ", ")
}

// percent writes a share as a percentage, right-aligned: " 50%", "12.5%".
func percent(share float64) string {
	s := strconv.FormatFloat(share*100, 'f', 1, 64)
	return fmt.Sprintf("%4s%%", strings.TrimSuffix(s, ".0"))
}
