package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyCheckPrintsEveryProblemWithItsPosition(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("retry:\n  hours: 3\nsegments:\n  - {name: big, when: 'invoice.amount_due > \"x\"'}\n"), 0o600)
	var out bytes.Buffer
	err := run(t.Context(), []string{"policy", "check", bad}, &out, func(int) {})
	if err == nil || !strings.Contains(err.Error(), "2 problem") {
		t.Fatalf("err %v\n%s", err, out.String())
	}
	// The unknown key does not hide the rule's problem: both, in the order of the file.
	want := bad + `:2:3: retry.hours: unknown key "hours" (did you mean "hour"?)` + "\n" +
		bad + `:4:43: segments[0].when: invalid rule: found no matching overload for '_>_' applied to '(int, string)'`
	if strings.TrimSpace(out.String()) != want {
		t.Fatalf("output\n%s\nwant\n%s", out.String(), want)
	}
	os.WriteFile(bad, []byte("segments:\n  - {name: big, when: 'invoice.amount_due > \"x\"'}\n  - {name: all, when: 'true'}\n  - {name: never, when: 'false'}\n"), 0o600)
	out.Reset()
	err = run(t.Context(), []string{"policy", "check", bad}, &out, func(int) {})
	if err == nil || !strings.Contains(err.Error(), "2 problem") {
		t.Fatalf("err %v\n%s", err, out.String())
	}
	for _, want := range []string{bad + ":2:43: segments[0].when: invalid rule: found no matching overload for '_>_'", bad + `:4:6: segments[2]: segment "never" can never match`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output\n%s\nlacks\n%s", out.String(), want)
		}
	}
	// The example segments name templates of their own: refused without the directory that
	// defines them, valid with it.
	examples := "../../policies/examples/"
	out.Reset()
	err = run(t.Context(), []string{"policy", "check", examples + "segments.yaml"}, &out, func(int) {})
	if err == nil || !strings.Contains(out.String(), `unknown template "personal_note"`) || !strings.Contains(out.String(), "--templates DIR") {
		t.Fatalf("without the templates (the error says how to give them): %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"policy", "check", "--templates", examples + "templates", examples + "segments.yaml"}, &out, func(int) {}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "valid (version ") || !strings.Contains(out.String(), "segments: high-value, at-risk, small, standard, default;") ||
		!strings.Contains(out.String(), "checked against the shipped templates and those of ") || !strings.Contains(out.String(), "policies/examples/templates)") {
		t.Fatalf("output %q", out.String())
	}
}

// A file that is not there is named by its path, not by the argument's placeholder; an empty
// one is a problem, not a valid policy.
func TestPolicyCheckNamesAMissingOrEmptyFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	var out bytes.Buffer
	err := run(t.Context(), []string{"policy", "check", missing}, &out, func(int) {})
	if err == nil || err.Error() != "policy file "+missing+" does not exist" {
		t.Fatalf("missing file: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(empty, []byte("# to do\n"), 0o600)
	out.Reset()
	err = run(t.Context(), []string{"policy", "check", empty}, &out, func(int) {})
	if err == nil || strings.TrimSpace(out.String()) != empty+": the policy file is empty: write the settings that differ from the defaults, or {} to take every default" {
		t.Fatalf("empty file: %v\n%s", err, out.String())
	}
}

func TestShadowReportCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	if err := run(t.Context(), []string{"--database-url", db, "migrate"}, &bytes.Buffer{}, func(int) {}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"--database-url", db, "shadow", "report"}, &out, func(int) {}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "observe-only report: 0 cases") {
		t.Fatalf("output %q", out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"--database-url", db, "shadow", "report", "--json"}, &out, func(int) {}); err != nil || !strings.Contains(out.String(), `"cases": 0`) {
		t.Fatalf("json: %v %q", err, out.String())
	}
}

func TestCaseCommandsRefuseWhatTheEngineRefuses(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	if err := run(t.Context(), []string{"--database-url", db, "migrate"}, &bytes.Buffer{}, func(int) {}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STRIPE_SECRET_KEY", "sk_test_123")
	for _, args := range [][]string{
		{"case", "approve", "42", "--by", "ops@example.com"},
		{"case", "plan", "42", "--by", "ops@example.com"},
	} {
		err := run(t.Context(), append([]string{"--database-url", db}, args...), &bytes.Buffer{}, func(int) {})
		if err == nil || !strings.Contains(err.Error(), "not found") && !strings.Contains(err.Error(), "no such case") {
			t.Errorf("%v: %v", args, err)
		}
	}
	err := run(t.Context(), []string{"--database-url", db, "case", "approve", "1", "--by", " "}, &bytes.Buffer{}, func(int) {})
	if err == nil || !strings.Contains(err.Error(), "--by") {
		t.Errorf("blank --by: %v", err)
	}
}

// A valid policy with an experiment is summed up in words: each arm, its share and what it
// overrides; in mode observe, a note says nothing is compared.
func TestPolicyCheckDescribesTheExperiment(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"policy", "check", "../../policies/examples/experiment.yaml"}, &out, func(int) {}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"experiment recoup-vs-stripe, by customer (a customer stays in the arm of their first failed invoice):\n",
		"  stripe   50%  control: Stripe's own recovery handles the invoice, recoup only observes\n",
		"  recoup   50%  the policy as written (overrides nothing)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "note:") || strings.Contains(out.String(), "optimize") {
		t.Errorf("a note or optimize for a plain experiment in mode act:\n%s", out.String())
	}

	f := filepath.Join(t.TempDir(), "obs.yaml")
	os.WriteFile(f, []byte("mode: observe\nexperiment:\n  name: x\n  unit: customer\n  arms:\n    - {name: a, weight: 3}\n    - {name: later, weight: 1, retry: {hour: 18}, final_action: cancel_subscription}\n    - {name: c, weight: 1}\n    - {name: base, weight: 5, fixed: true}\n  optimize: {floor: 5, by: time_zone}\n"), 0o600)
	out.Reset()
	if err := run(t.Context(), []string{"policy", "check", f}, &out, func(int) {}); err != nil {
		t.Fatalf("an experiment in mode observe is valid: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"  later   10%  the policy with its own retry hour, final action\n",
		"  a       30%  the policy as written",
		"  base    50%  the policy as written (overrides nothing), its share fixed\n",
		"adapt to what recovers more (Thompson sampling), learned apart for each group of customers whose time zones have the same standard offset from UTC, each keeping at least 5% of all cases; the control and the fixed arms keep their shares",
		"note: the policy is in mode observe, so recoup only observes in every arm: the experiment compares nothing until mode act\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
