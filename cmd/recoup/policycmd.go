package main

import (
	"errors"
	"fmt"
	"io"
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
	return nil
}
