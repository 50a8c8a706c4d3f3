package sim_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// imports lists the packages the non-test Go files of dir import.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// The simulator must measure the production decision code, not a copy: it drives the engine
// package and never imports the decision packages itself (it loads policies through the
// policy package, which is also how serve gets them). Worlds see only the ports: they may not
// import the engine, the policy or the decline classifier, so nothing of recoup's reasoning
// can leak into the world and nothing of the world's hidden state into recoup.
func TestSimulatorRunsTheProductionEngine(t *testing.T) {
	const mod = "github.com/recoup-hq/recoup/"
	sim := imports(t, ".")
	if !slices.Contains(sim, mod+"engine") {
		t.Fatalf("package sim does not import the engine: %v", sim)
	}
	src, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(f, "_test.go") && strings.Contains(string(b), ".Decide(") {
			t.Errorf("%s calls a policy's Decide: decisions must come from the engine", f)
		}
	}
	if slices.Contains(sim, mod+"decline") {
		t.Errorf("package sim imports the decline classifier: decisions must come from the engine")
	}
	// The world's past reaches recoup only through Stripe's listings, read by the history
	// import's own code: the simulator has no import code of its own.
	if !slices.Contains(sim, mod+"history") {
		t.Errorf("package sim does not import the history import: the world's past must be imported by it")
	}
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []string{".AddHistoryCharges(", ".SaveHistoryInvoice(", ".AddObservation(", "LearnHistory(", "PastInvoiceOf("} {
			if !strings.HasSuffix(f, "_test.go") && strings.Contains(string(b), call) {
				t.Errorf("%s calls %s: the past must go through the history import", f, call)
			}
		}
	}
	for _, p := range []string{"engine", "policy", "decline", "sqlite", "postgres", "history"} {
		if slices.Contains(imports(t, "worlds"), mod+p) {
			t.Errorf("package sim/worlds imports %s: worlds may use only the root ports and sim", p)
		}
	}
}
