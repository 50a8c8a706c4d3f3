package sim_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
	_ "github.com/recoup-hq/recoup/sim/worlds" // the built-in worlds
)

// A run on the memory store gives the summary a run on SQLite's scratch store gives, byte for
// byte: the same engine on two implementations of recoup.Store that answer alike. The runs
// cover several worlds, sharding, an experiment with Stripe's recovery as its control, a
// learning experiment (optimize: the arms' outcomes read back from the store), and the history
// import (the history tables, and outcomes learned before the first failure).
func TestStoresGiveTheSameSummary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs twelve small simulations")
	}
	load := func(path string) *policy.Policy {
		t.Helper()
		ps, err := sim.LoadPolicies([]string{path})
		if err != nil {
			t.Fatal(err)
		}
		return ps[0].Policy
	}
	runs := []struct {
		name    string
		world   string
		policy  *policy.Policy
		history time.Duration
		shards  int
	}{
		{"realistic", "realistic", policy.Default(), 0, 2},
		{"shifted", "shifted", policy.Default(), 0, 1},
		{"returning with history", "returning", policy.Default(), 120 * 24 * time.Hour, 1},
		{"experiment", "realistic", load("../policies/examples/experiment.yaml"), 0, 2},
		{"optimize with history", "realistic", load("../policies/examples/optimize.yaml"), 90 * 24 * time.Hour, 2},
		{"backup cards", "realistic", load("../policies/examples/backup.yaml"), 0, 1},
	}
	for _, c := range runs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			summary := func(store string) []byte {
				r := sim.Run{World: c.world, PolicyName: "p", Policy: c.policy, Invoices: 400,
					Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Months: 3, Window: 45 * 24 * time.Hour,
					Seed: 7, History: c.history, Shards: c.shards, Store: store, Dir: t.TempDir()}
				s, err := r.Execute(t.Context())
				if err != nil {
					t.Fatalf("%s store: %v", store, err)
				}
				dir := t.TempDir()
				if err := sim.WriteReport(dir, []sim.Summary{s}, "p"); err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			mem, lite := summary(sim.StoreMemory), summary(sim.StoreSQLite)
			if !bytes.Equal(mem, lite) {
				t.Fatalf("summary.json differs:\nmemory: %s\nsqlite: %s", mem, lite)
			}
			var got []sim.Summary
			if err := json.Unmarshal(mem, &got); err != nil || len(got) != 1 || got[0].FailedInvoices < 400 || got[0].RecoveredInvoices == 0 {
				t.Fatalf("the summary is not of a run of 400 invoices or more, some recovered (%v):\n%.400s", err, mem)
			}
		})
	}
}

// Run.Keep leaves each shard's SQLite store in Dir, holding the run's cases; a run again in the
// same directory replaces it rather than adding to it; without Keep nothing stays.
func TestKeepLeavesTheRunsStore(t *testing.T) {
	dir := t.TempDir()
	run := func(keep bool) sim.Summary {
		t.Helper()
		r := sim.Run{World: "realistic", PolicyName: "recoup", Policy: policy.Default(), Invoices: 60, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Months: 1, Window: 30 * 24 * time.Hour, Seed: 3, Shards: 2, Store: sim.StoreSQLite, Dir: dir, Keep: keep}
		s, err := r.Execute(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := func(path string) int {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM cases`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	s := run(true)
	var total int
	for k := range 2 {
		total += cases(filepath.Join(dir, fmt.Sprintf("sim-recoup-3-%d.db", k)))
	}
	if total != s.FailedInvoices {
		t.Fatalf("the kept stores hold %d cases, the run had %d failed invoices", total, s.FailedInvoices)
	}
	// The run again in the same directory: an earlier store reused would already hold its
	// events (the engine would skip them as seen) and its cases.
	again := run(true)
	a, _ := json.Marshal(s)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Errorf("a second run in the same directory summarised differently:\n%s\n%s", a, b)
	}
	if n := cases(filepath.Join(dir, "sim-recoup-3-0.db")) + cases(filepath.Join(dir, "sim-recoup-3-1.db")); n != total {
		t.Errorf("a second run in the same directory left %d cases, want %d", n, total)
	}
	other := t.TempDir()
	dir = other
	run(false)
	if left, _ := filepath.Glob(filepath.Join(other, "*.db")); len(left) != 0 {
		t.Errorf("without Keep the run left %v", left)
	}
}
