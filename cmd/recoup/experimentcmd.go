package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/expreport"
	"github.com/recoup-hq/recoup/policy"
)

// ExperimentCmd groups the commands on the experiments of the policy file.
type ExperimentCmd struct {
	List   ExperimentListCmd   `cmd:"" help:"List the experiments the database knows, running and ended."`
	Report ExperimentReportCmd `cmd:"" help:"Report an experiment's results: per arm, the uplift over the control with its intervals, the verdict."`
	End    ExperimentEndCmd    `cmd:"" help:"End an experiment (new cases take no arm) and maybe promote an arm (new cases follow its rules)."`
}

// experimentPolicy is the policy file the experiment commands read the arms from.
type experimentPolicy struct {
	PolicyFile string `name:"policy" env:"RECOUP_POLICY" type:"path" help:"Policy file (YAML) in force: it names the control arm and the arms' order; the built-in default when empty."`
	Templates  string `name:"templates" env:"RECOUP_TEMPLATES" type:"path" help:"Directory of template overrides (docs/messages.md), as recoup serve has it."`
}

// experimentResults opens the existing database read-only for the experiments' reads.
func experimentResults(ctx context.Context, g *Globals) (*backend, recoup.ExperimentResults, error) {
	b, err := openExisting(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	er, ok := b.store.(recoup.ExperimentResults)
	if !ok {
		b.close()
		return nil, nil, fmt.Errorf("the store %T keeps no experiments", b.store)
	}
	return b, er, nil
}

// ExperimentListCmd lists the experiments.
type ExperimentListCmd struct {
	JSON bool `name:"json" help:"Print JSON instead of text."`
}

// Run prints the experiments, the most recently started first.
func (c *ExperimentListCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	b, er, err := experimentResults(ctx, g)
	if err != nil {
		return err
	}
	defer b.close()
	list, err := er.Experiments(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSONTo(out, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(out, "No experiment yet: a policy file with an experiment starts one at its first case.")
		return nil
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "experiment\tstarted\tstate")
	for _, e := range list {
		state := "running"
		switch {
		case e.Ended() && e.PromotedArm != "":
			state = fmt.Sprintf("ended %s by %s, arm %s promoted", e.EndedAt.Format("2006-01-02"), e.EndedBy, e.PromotedArm)
		case e.Ended():
			state = fmt.Sprintf("ended %s by %s, no arm promoted", e.EndedAt.Format("2006-01-02"), e.EndedBy)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.StartedAt.Format("2006-01-02"), state)
	}
	return tw.Flush()
}

// ExperimentReportCmd prints an experiment's report.
type ExperimentReportCmd struct {
	experimentPolicy
	Name     string `arg:"" optional:"" help:"The experiment; default the policy file's, else the one started last."`
	Currency string `name:"currency" help:"The currency to report on (an experiment with cases in several currencies needs one)."`
	JSON     bool   `name:"json" xor:"format" help:"Print JSON instead of text."`
	CSV      bool   `name:"csv" xor:"format" help:"Print CSV, one row per arm, amounts in minor units."`
}

// Run reads the store (read-only) and prints the report.
func (c *ExperimentReportCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	pol, err := loadPolicy(c.PolicyFile, c.Templates)
	if err != nil {
		return err
	}
	b, er, err := experimentResults(ctx, g)
	if err != nil {
		return err
	}
	defer b.close()
	name, err := experimentName(ctx, er, pol, c.Name)
	if err != nil {
		return err
	}
	r, err := expreport.Build(ctx, er, name, expreport.SetupOf(pol, name), expreport.Options{Currency: c.Currency})
	if recoup.ErrorCode(err) == recoup.EINVALID && c.Currency == "" && strings.Contains(err.Error(), "currencies") {
		return fmt.Errorf("%w: give one with --currency", err)
	}
	if err != nil {
		return err
	}
	switch {
	case c.JSON:
		return writeJSONTo(out, r)
	case c.CSV:
		return expreport.WriteCSV(out, r)
	}
	return expreport.Write(out, r)
}

// experimentName is the experiment a command is about: the one named, else the policy file's,
// else the one the store started last.
func experimentName(ctx context.Context, er recoup.ExperimentResults, pol *policy.Policy, name string) (string, error) {
	if name != "" {
		return name, nil
	}
	if pol != nil && pol.Experiment != nil {
		return pol.Experiment.Name, nil
	}
	list, err := er.Experiments(ctx)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", recoup.Errorf(recoup.ENOTFOUND, "no experiment yet: the policy file has none and the database knows none")
	}
	return list[0].Name, nil
}

// ExperimentEndCmd ends an experiment.
type ExperimentEndCmd struct {
	experimentPolicy
	Name    string `arg:"" help:"The experiment to end."`
	Promote string `name:"promote" help:"The arm to promote: new cases follow its rules (recoup serve puts it in force within a poll of the policy file)."`
	By      string `name:"by" required:"" help:"Who ends it (recorded with the experiment, in the audit log and the policy history)."`
}

// Run records the end (and the promotion) and the audit entry, and prints the promoted policy
// for the operator to copy into the file.
func (c *ExperimentEndCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	if strings.TrimSpace(c.By) == "" {
		return fmt.Errorf("--by: say who ends the experiment")
	}
	pol, err := loadPolicy(c.PolicyFile, c.Templates)
	if err != nil {
		return err
	}
	b, err := openExisting(ctx, g)
	if err != nil {
		return err
	}
	defer b.close()
	now := time.Now()
	ended, err := expreport.End(ctx, b.store, pol, now, c.Name, c.By, c.Promote)
	auditExperimentEnd(ctx, b.store, now, c.Name, c.By, c.Promote, "from the command line", err)
	if err != nil && c.Promote != "" && c.PolicyFile == "" && recoup.ErrorCode(err) == recoup.EINVALID {
		return fmt.Errorf("%w: give the policy file with --policy (or RECOUP_POLICY)", err)
	}
	if err != nil {
		return err
	}
	writeEnded(out, ended)
	return nil
}

// auditExperimentEnd records an end (or its refusal) in the audit log, when the store keeps
// one; user 0 is someone at the command line, named by --by.
func auditExperimentEnd(ctx context.Context, store recoup.Store, now time.Time, name, by, arm, where string, err error) {
	as, ok := store.(recoup.AccessStore)
	if !ok {
		return
	}
	e := &recoup.AuditEntry{At: now, UserEmail: by, Action: "end_experiment", Outcome: "ok", Detail: ExperimentAuditDetail(name, arm, where)}
	if arm != "" {
		e.Action = "promote_arm"
	}
	if err != nil {
		e.Outcome = err.Error()
	}
	_ = as.AppendAudit(ctx, e) // the end has happened (or been refused) already
}

// ExperimentAuditDetail is the audit entry's detail of an end.
func ExperimentAuditDetail(name, arm, where string) string {
	if arm == "" {
		return fmt.Sprintf("experiment %s ended, no arm promoted (%s)", name, where)
	}
	return fmt.Sprintf("experiment %s ended, arm %s promoted (%s)", name, arm, where)
}

// writeEnded says what an end did and, for a promotion, shows the promoted policy.
func writeEnded(out io.Writer, e expreport.Ended) {
	if e.Promoted == nil {
		fmt.Fprintf(out, "Experiment %s ended by %s. New cases take no arm and follow the policy file; cases already in an arm keep it.\n", e.Experiment, e.By)
		fmt.Fprintln(out, "Remove the experiment from the policy file when convenient.")
		return
	}
	fmt.Fprintf(out, "Experiment %s ended by %s, arm %s promoted (policy version %s).\n", e.Experiment, e.By, e.Arm, e.Promoted.Version)
	fmt.Fprintln(out, "New cases follow the promoted policy (recoup serve puts it in force within a poll of the policy file); cases already in an arm keep it.")
	fmt.Fprintln(out, "Copy this policy into the policy file, so that it stays in force when the experiment is removed:")
	fmt.Fprintln(out)
	out.Write(e.Promoted.Source)
}

func writeJSONTo(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
