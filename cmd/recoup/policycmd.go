package main

import (
	"errors"
	"fmt"
	"io"
	"os"

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

// Run validates the file and prints its problems, one per line.
func (c *PolicyCheckCmd) Run(out io.Writer) error {
	p, err := policy.Load(c.File)
	var pe *policy.Error
	if errors.As(err, &pe) {
		for _, prob := range pe.Problems {
			fmt.Fprintln(os.Stderr, prob)
		}
		return fmt.Errorf("%s: %d problem(s)", c.File, len(pe.Problems))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: valid (version %s)\n", c.File, p.Version)
	return nil
}
