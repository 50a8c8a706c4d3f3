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
	File string `arg:"" type:"existingfile" help:"The policy file."`
}

// Run validates the file and prints its problems, one per line as FILE:LINE:COLUMN: key: problem
// (suggestion), or a summary of the valid policy.
func (c *PolicyCheckCmd) Run(out io.Writer) error {
	p, err := policy.Load(c.File)
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
	fmt.Fprintf(out, "%s: valid (version %s, mode %s, segments: %s)\n", c.File, p.Version, p.Mode, strings.Join(segs, ", "))
	return nil
}
