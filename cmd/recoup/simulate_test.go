package main

import (
	"bytes"
	"encoding/json"
	"github.com/recoup-hq/recoup/sim"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's simulate command, small: two shipped policies side by side write the report.
func TestSimulateCommand(t *testing.T) {
	slow(t)
	out := filepath.Join(t.TempDir(), "report")
	var stdout bytes.Buffer
	err := run(t.Context(), []string{"simulate", "--world", "realistic", "--compare", "../../policies/recoup.yaml",
		"../../policies/static-3.yaml", "--invoices", "300", "--months", "2", "--seed", "7", "--out", out, "--quiet"}, &stdout, func(int) {})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"summary.json", "aggregate.json", "report.md", "report.html", "recovery-curve.svg", "categories.svg", "monthly.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("report file %s: %v", f, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var runs []map[string]any
	if err := json.Unmarshal(b, &runs); err != nil || len(runs) != 2 {
		t.Fatalf("summary.json: %d runs, %v", len(runs), err)
	}
	for _, key := range []string{"policy", "world", "seed", "failed_invoices", "failed_amount", "recovered_count_pct",
		"recovered_amount_pct", "attempts", "attempts_per_recovery", "retry_success_rate", "messages_sent",
		"messages_per_recovery", "median_days_to_recovery", "p90_days_to_recovery", "network_violations", "network_fees",
		"customers_lost_to_messaging", "oracle_recovered_amount_pct", "ratio_to_oracle", "categories"} {
		if _, ok := runs[0][key]; !ok {
			t.Errorf("summary.json has no %q", key)
		}
	}
	if !strings.Contains(stdout.String(), "static-3") {
		t.Errorf("stdout: %s", stdout.String())
	}
	// Several files without --compare are refused with a hint.
	err = run(t.Context(), []string{"simulate", "../../policies/recoup.yaml", "../../policies/static-3.yaml", "--out", out}, &stdout, func(int) {})
	if err == nil || !strings.Contains(err.Error(), "--compare") {
		t.Fatalf("err = %v", err)
	}
}

// A policy with an experiment against Stripe: the run plays Stripe's recovery for the control,
// says so, and reports the experiment in summary.json, the report and the output.
func TestSimulateExperiment(t *testing.T) {
	slow(t)
	out := filepath.Join(t.TempDir(), "report")
	var stdout bytes.Buffer
	err := run(t.Context(), []string{"simulate", "--world", "realistic", "-p", "../../policies/examples/experiment.yaml",
		"--invoices", "300", "--months", "2", "--seed", "7", "--out", out, "--quiet"}, &stdout, func(int) {})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"played Stripe's own recovery", "experiment recoup-vs-stripe: stripe recovered", "recoup minus stripe"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var runs []struct {
		StripeRecovery bool                       `json:"stripe_recovery"`
		Experiment     map[string]json.RawMessage `json:"experiment"`
	}
	if err := json.Unmarshal(b, &runs); err != nil || len(runs) != 1 || !runs[0].StripeRecovery {
		t.Fatalf("summary.json: %+v, %v", runs, err)
	}
	for _, key := range []string{"name", "arms", "uplift_pp", "uplift_ci_low", "uplift_ci_high", "verdict", "peeks",
		"excluded_zero_at_any_peek", "fixed_excluded_zero_at_any_peek"} {
		if _, ok := runs[0].Experiment[key]; !ok {
			t.Errorf("summary.json's experiment has no %q", key)
		}
	}
	var arms []map[string]any
	if err := json.Unmarshal(runs[0].Experiment["arms"], &arms); err != nil || len(arms) != 2 {
		t.Fatalf("arms: %s", runs[0].Experiment["arms"])
	}
	for _, key := range []string{"name", "invoices", "recovered_amount_pct", "ci_low", "ci_high"} {
		if _, ok := arms[0][key]; !ok {
			t.Errorf("an arm has no %q", key)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil || !strings.Contains(string(md), "## Experiment") || !strings.Contains(string(md), "recoup-vs-stripe") {
		t.Errorf("report.md has no experiment section (%v)", err)
	}
}

// --history imports the world's past before the first failure, and says so; a malformed one is
// refused.
func TestSimulateWithHistory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	var stdout bytes.Buffer
	err := run(t.Context(), []string{"simulate", "-p", "../../policies/recoup.yaml", "--invoices", "100", "--months", "1",
		"--window", "20d", "--history", "60d", "--out", out, "--quiet"}, &stdout, func(int) {})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var runs []struct {
		History *struct {
			Days         int `json:"days"`
			Invoices     int `json:"invoices"`
			Observations int `json:"observations"`
		} `json:"history"`
	}
	if err := json.Unmarshal(b, &runs); err != nil || len(runs) != 1 || runs[0].History == nil {
		t.Fatalf("summary.json: %s, %v", b[:min(len(b), 300)], err)
	}
	if h := runs[0].History; h.Days != 60 || h.Invoices == 0 || h.Observations == 0 {
		t.Fatalf("history %+v", *h)
	}
	if !strings.Contains(stdout.String(), "days of past") {
		t.Errorf("stdout: %s", stdout.String())
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	if !strings.Contains(string(md), "The account's past") {
		t.Errorf("report.md says nothing of the past")
	}
	err = run(t.Context(), []string{"simulate", "--history", "yesterday", "--out", out, "--quiet"}, &stdout, func(int) {})
	if err == nil || !strings.Contains(err.Error(), "--history") {
		t.Fatalf("err = %v", err)
	}
}

// --store chooses the engine's store: the memory store (the default) and SQLite's give the same
// summary.json; another name is refused.
func TestSimulateStores(t *testing.T) {
	slow(t)
	summary := func(store ...string) []byte {
		t.Helper()
		out := filepath.Join(t.TempDir(), "report")
		args := append([]string{"simulate", "--world", "realistic", "--invoices", "200", "--months", "2", "--seed", "3",
			"--shards", "2", "--out", out, "--quiet"}, store...)
		if err := run(t.Context(), args, &bytes.Buffer{}, func(int) {}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(out, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kept := t.TempDir()
	def, mem, lite, keep := summary(), summary("--store", "memory"), summary("--store", "sqlite"), summary("--keep-store", kept)
	if !bytes.Equal(def, mem) || !bytes.Equal(mem, lite) || !bytes.Equal(lite, keep) {
		t.Fatalf("summary.json differs by store:\ndefault: %.300s\nmemory: %.300s\nsqlite: %.300s\nkept: %.300s", def, mem, lite, keep)
	}
	// --keep-store leaves each shard's database, and refuses the memory store it cannot keep.
	if dbs, _ := filepath.Glob(filepath.Join(kept, "sim-recoup-3-*.db")); len(dbs) != 2 {
		t.Errorf("--keep-store left %v, want the two shards' databases", dbs)
	}
	err := run(t.Context(), []string{"simulate", "--store", "memory", "--keep-store", kept, "--out", t.TempDir(), "--quiet"}, &bytes.Buffer{}, func(int) {})
	if err == nil || !strings.Contains(err.Error(), "--keep-store") {
		t.Errorf("--keep-store with --store memory: %v, want refused", err)
	}
	err = run(t.Context(), []string{"simulate", "--store", "postgres", "--out", t.TempDir(), "--quiet"}, &bytes.Buffer{}, func(int) {})
	if err == nil || !strings.Contains(err.Error(), "store") {
		t.Fatalf("--store postgres: %v, want refused", err)
	}
}

// --store auto keeps the memory store while what it holds at once fits in half of the
// machine's memory, and falls back to SQLite, whose memory does not grow with the cases, for
// runs that would not fit.
func TestSimulateAutoStore(t *testing.T) {
	const gib = 1 << 30
	suite := func(invoices, shards, parallel, policies, seeds int) sim.Suite {
		return sim.Suite{Invoices: invoices, Shards: shards, Parallel: parallel,
			Policies: make([]sim.NamedPolicy, policies), Seeds: make([]uint64, seeds)}
	}
	for _, tc := range []struct {
		s    sim.Suite
		ram  uint64
		want string
	}{
		{suite(100_000, 2, 2, 1, 1), 24 * gib, sim.StoreMemory}, // 100,000 held: 1.6 GB
		{suite(100_000, 2, 2, 1, 1), 2 * gib, sim.StoreSQLite},
		{suite(10_000_000, 2, 2, 1, 1), 24 * gib, sim.StoreSQLite},
		{suite(100_000, 1, 2, 2, 3), 8 * gib, sim.StoreMemory}, // two runs at once: 3.3 GB < 4 GiB
		{suite(200_000, 1, 2, 2, 3), 8 * gib, sim.StoreSQLite}, // 6.6 GB
		{suite(200_000, 1, 1, 2, 3), 8 * gib, sim.StoreMemory}, // one at a time
		{suite(100_000, 1, 2, 1, 1), 0, sim.StoreMemory},       // unknown memory: taken as 8 GiB
		{suite(400_000, 1, 2, 1, 1), 0, sim.StoreSQLite},
	} {
		if got := autoStore(tc.s, tc.ram); got != tc.want {
			t.Errorf("%d invoices, %d shards, parallel %d, %d runs, %d GiB: %s, want %s", tc.s.Invoices, tc.s.Shards, tc.s.Parallel,
				len(tc.s.Policies)*len(tc.s.Seeds), tc.ram/gib, got, tc.want)
		}
	}
	if physicalMemory() == 0 {
		t.Log("this machine's memory is not known (no /proc/meminfo)")
	}
}
