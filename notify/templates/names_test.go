package templates

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/recoup-hq/recoup/policy"
)

// The policy check knows the shipped template names without importing this package: its list
// must be the one the shipped words give.
func TestCampaignNamesShippedAreThePolicys(t *testing.T) {
	got, err := CampaignNames("")
	if err != nil {
		t.Fatal(err)
	}
	want := policy.BuiltinTemplates()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("CampaignNames(\"\") = %v, policy.BuiltinTemplates() = %v", got, want)
	}
}

// A template directory's own names (with a tone, or in another locale only) are campaign names
// too, and a policy naming them passes the check with them, not without.
func TestCampaignNamesOfAnOverrideDirectory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("en/messages.tmpl", `{{define "subject/win_back"}}Come back{{end}}{{define "body/win_back"}}We miss you.{{end}}`+
		`{{define "cta/win_back"}}Return{{end}}`)
	write("fr/messages.tmpl", `{{define "subject/rappel/gentle"}}Un rappel{{end}}`)
	write("de/email.txt", `{{.Subject}}`)
	got, err := CampaignNames(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := append(policy.BuiltinTemplates(), "rappel", "win_back")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("CampaignNames = %v, want %v", got, want)
	}
	src := []byte("campaign:\n  steps:\n    - {day: 0, template: win_back}\n")
	if _, err := policy.ParseWith("p.yaml", src, policy.Options{Templates: got}); err != nil {
		t.Fatalf("with the directory's names: %v", err)
	}
	if _, err := policy.Parse("p.yaml", src); err == nil {
		t.Fatal("without the directory's names, win_back was accepted")
	}
	if _, err := CampaignNames(filepath.Join(dir, "nope")); err == nil {
		t.Fatal("a missing directory was accepted")
	}
}

// The example policies name templates of their own, which the example template directory
// beside them defines.
func TestExamplePoliciesWithTheExampleTemplates(t *testing.T) {
	dir := "../../policies/examples/templates"
	names, err := CampaignNames(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFS(os.DirFS(dir), brand); err != nil {
		t.Fatalf("the example templates do not render: %v", err)
	}
	files, _ := filepath.Glob("../../policies/examples/*.yaml")
	if len(files) < 2 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		if _, err := policy.LoadWith(f, policy.Options{Templates: names}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
