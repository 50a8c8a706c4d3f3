package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
	_ "github.com/recoup-hq/recoup/sim/worlds" // registers the built-in worlds
)

// SimulateCmd runs policies through a simulated world and writes the evaluation report.
type SimulateCmd struct {
	World     string   `default:"realistic" help:"The world model (${worlds})."`
	Policy    []string `short:"p" type:"existingfile" help:"A policy file to evaluate (repeatable). Without any, the built-in policy."`
	Compare   bool     `help:"Compare the policies given as arguments (e.g. --compare policies/*.yaml) side by side on the identical world."`
	Files     []string `arg:"" optional:"" type:"existingfile" help:"More policy files (with --compare)."`
	Invoices  int      `default:"10000" help:"Failed invoices per run."`
	Months    int      `default:"12" help:"Months over which the first failures happen."`
	Window    string   `default:"60d" help:"How long each invoice is followed after its first failure."`
	Seed      uint64   `default:"1" help:"The first seed."`
	Seeds     int      `default:"1" help:"How many seeds (seed, seed+1, ...): several give confidence intervals."`
	Baseline  string   `help:"The policy the others are compared with (default: fixed-0-3-7-15 if given, else the first)."`
	Start     string   `default:"2026-01-01" help:"The date the simulated period starts (UTC)."`
	Shards    int      `default:"1" help:"Independent parts each run is split into, run in parallel (the results depend on it, not on the machine)."`
	Parallel  int      `default:"0" help:"Parts executed at once (0: one per CPU); it does not change the results."`
	Out       string   `default:"report" help:"Directory for summary.json, report.md, report.html and the charts."`
	Quiet     bool     `help:"No progress bar."`
	Store     string   `default:"auto" enum:"auto,memory,sqlite" help:"The store the engine runs on: memory (the fastest; it keeps every case until the run ends), sqlite (a scratch SQLite database in a temporary directory, the production store's code), or auto: memory when the invoices held at once fit in half of this machine's memory, else sqlite. The results are the same."`
	KeepStore string   `name:"keep-store" placeholder:"DIR" help:"Keep each run's store, a SQLite database per policy, seed and shard (sim-POLICY-SEED-SHARD.db), in DIR to read its cases, attempts and timelines afterwards (with sqlite3, or recoup's commands pointed at the file). Runs on --store sqlite."`
	History   string   `help:"Have the world play this long a past before the simulated period (e.g. 365d), handled by Stripe's own recovery, and import it with the history import before the first failure."`
	// StripeRecovery forces Stripe's own recovery on for every policy; a policy in observe mode
	// always has it (recoup only watches, so Stripe's retries and emails are what recovers).
	StripeRecovery bool `name:"stripe-recovery" help:"Keep Stripe's own recovery on (Smart Retries and its failed-payment emails) for act policies too; policies in observe mode always have it."`
}

// Run runs the simulation and writes the report.
// simGCPercent is the garbage collector's target during a simulation.
const simGCPercent = 400

func (c *SimulateCmd) Run(ctx context.Context, out io.Writer) error {
	suite, err := c.suite()
	if err != nil {
		return err
	}
	ram := physicalMemory()
	if c.KeepStore != "" {
		if c.Store == sim.StoreMemory {
			return errors.New("--keep-store keeps SQLite databases: use it with --store sqlite or auto, not memory")
		}
		if err := os.MkdirAll(c.KeepStore, 0o700); err != nil {
			return err
		}
		suite.Store, suite.Dir, suite.Keep = sim.StoreSQLite, c.KeepStore, true
	} else if c.Store == "auto" {
		suite.Store = autoStore(suite, ram)
		if suite.Store == sim.StoreSQLite && !c.Quiet {
			fmt.Fprintf(os.Stderr, "The memory store would hold about %s at once, more than half of this machine's memory: running on a scratch SQLite database instead (slower; --store memory to insist).\n",
				gigabytes(heldInvoices(suite)*memstoreBytesPerInvoice))
		}
	}
	if suite.Store == sim.StoreMemory && ram > 0 && os.Getenv("GOMEMLIMIT") == "" {
		// The collector's target below (GOGC=400) lets the heap grow to five times what is
		// live; a soft limit at half the machine's memory makes it collect sooner instead.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(ram / 2)))
	}
	if suite.Store == sim.StoreSQLite && !suite.Keep {
		tmp, err := os.MkdirTemp("", "recoup-sim-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		suite.Dir = tmp
	}
	if os.Getenv("GOGC") == "" {
		// A batch run trades memory for CPU: the collector runs a quarter as often (measured: 8%
		// less CPU for about 50 MB more at 5,000 invoices; docs/benchmarks.md). GOGC overrides.
		defer debug.SetGCPercent(debug.SetGCPercent(simGCPercent))
	}
	total := int64(suite.Invoices * len(suite.Policies) * len(suite.Seeds))
	if !c.Quiet {
		bar := progressbar.NewOptions64(total, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription("invoices settled"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("invoices"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		suite.Progress = func() { _ = bar.Add(1) }
		defer bar.Finish()
	}
	baseline := c.baseline(suite.Policies)
	if !slices.ContainsFunc(suite.Policies, func(p sim.NamedPolicy) bool { return p.Name == baseline }) {
		return fmt.Errorf("--baseline %q is not one of the policies simulated", baseline)
	}
	began := time.Now()
	runs, err := suite.Run(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return err
	}
	if err := sim.WriteReport(c.Out, runs, baseline); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d run(s) of %d invoices on world %s in %s; report in %s\n", len(runs), suite.Invoices, suite.World,
		time.Since(began).Round(time.Millisecond), c.Out)
	if suite.Keep {
		fmt.Fprintf(out, "each run's store kept in %s (sim-POLICY-SEED-SHARD.db)\n", suite.Dir)
	}
	for _, s := range runs {
		fmt.Fprintf(out, "  %-20s seed %-4d recovered %5.1f%% of the amount, %5.1f%% of invoices; %.2f attempts/recovery; %d violations\n",
			s.Policy, s.Seed, s.RecoveredAmountPct, s.RecoveredCountPct, s.AttemptsPerRecovery, s.NetworkViolations)
		if h := s.History; h != nil {
			fmt.Fprintf(out, "  %-20s          first imported %d days of past: %d failed invoices, %d charges, %d outcomes learned\n",
				"", h.Days, h.Invoices, h.Charges, h.Observations)
		}
		if x := s.Experiment; x != nil {
			fmt.Fprintf(out, "  %-20s          %s\n", "", sim.ExperimentWords(*x))
		}
	}
	for _, p := range suite.Policies {
		if x := p.Policy.Experiment; x != nil && !p.StripeRecovery && slices.ContainsFunc(x.Arms, func(a policy.Arm) bool { return a.Control }) {
			fmt.Fprintf(out, "Policy %s has a control arm left to Stripe: the world played Stripe's own recovery (Smart Retries and its emails) in its runs, as the merchant keeps Stripe's settings on for the control; recoup took each invoice of its other arms out of it.\n", p.Name)
		}
	}
	return nil
}

// memstoreBytesPerInvoice is what the memory store keeps live per invoice: about 12.5 KB
// measured at 10,000 and 100,000 invoices (docs/benchmarks.md), rounded up.
const memstoreBytesPerInvoice = 16 << 10

// heldInvoices is how many invoices the suite's stores hold at once: each shard keeps its share
// of a run's invoices, and Parallel shards execute together.
func heldInvoices(s sim.Suite) uint64 {
	par := s.Parallel
	if par <= 0 {
		par = runtime.NumCPU()
	}
	shards := max(s.Shards, 1)
	at := min(par, shards*len(s.Policies)*len(s.Seeds))
	return uint64((s.Invoices+shards-1)/shards) * uint64(at)
}

// autoStore is --store auto: the memory store when what it holds fits in half of the machine's
// memory (ram; 0 when unknown, taken as 8 GiB), else SQLite, whose memory does not grow with
// the cases.
func autoStore(s sim.Suite, ram uint64) string {
	if ram == 0 {
		ram = 8 << 30
	}
	if heldInvoices(s)*memstoreBytesPerInvoice > ram/2 {
		return sim.StoreSQLite
	}
	return sim.StoreMemory
}

// physicalMemory is the machine's memory in bytes (MemTotal of /proc/meminfo), 0 when unknown.
func physicalMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

func gigabytes(b uint64) string { return fmt.Sprintf("%.1f GB", float64(b)/1e9) }

func (c *SimulateCmd) suite() (sim.Suite, error) {
	if !slices.Contains(sim.Worlds(), c.World) {
		return sim.Suite{}, fmt.Errorf("unknown world %q: choose one of %v", c.World, sim.Worlds())
	}
	if len(c.Files) > 0 && !c.Compare {
		return sim.Suite{}, fmt.Errorf("several policy files given: add --compare to run them side by side")
	}
	paths := append(slices.Clone(c.Policy), c.Files...)
	var pols []sim.NamedPolicy
	if len(paths) == 0 {
		pols = []sim.NamedPolicy{{Name: "recoup", Policy: policy.Default()}}
	} else {
		var err error
		if pols, err = sim.LoadPolicies(paths); err != nil {
			return sim.Suite{}, err
		}
	}
	for i := range pols {
		pols[i].StripeRecovery = c.StripeRecovery || pols[i].Policy.Observing()
	}
	window, err := policy.ParseDuration(c.Window)
	if err != nil {
		return sim.Suite{}, fmt.Errorf("--window: %w", err)
	}
	start, err := time.Parse(time.DateOnly, c.Start)
	if err != nil {
		return sim.Suite{}, fmt.Errorf("--start: want a date like 2026-01-01: %w", err)
	}
	switch {
	case c.Invoices <= 0 || c.Invoices > 10_000_000:
		return sim.Suite{}, fmt.Errorf("--invoices must be between 1 and 10000000, got %d", c.Invoices)
	case c.Months <= 0 || c.Months > 120:
		return sim.Suite{}, fmt.Errorf("--months must be between 1 and 120, got %d", c.Months)
	case c.Shards <= 0 || c.Shards > 64 || c.Shards > c.Invoices:
		return sim.Suite{}, fmt.Errorf("--shards must be between 1 and 64 and at most --invoices, got %d", c.Shards)
	case c.Seeds <= 0 || c.Seeds > 100:
		return sim.Suite{}, fmt.Errorf("--seeds must be between 1 and 100, got %d", c.Seeds)
	case window < 24*time.Hour || window > 365*24*time.Hour:
		return sim.Suite{}, fmt.Errorf("--window must be between 1d and 365d, got %s", c.Window)
	}
	var past time.Duration
	if c.History != "" {
		if past, err = policy.ParseDuration(c.History); err != nil {
			return sim.Suite{}, fmt.Errorf("--history: %w", err)
		}
		if past < 24*time.Hour || past > 5*365*24*time.Hour {
			return sim.Suite{}, fmt.Errorf("--history must be between 1d and 1825d, got %s", c.History)
		}
	}
	seeds := make([]uint64, c.Seeds)
	for i := range seeds {
		seeds[i] = c.Seed + uint64(i)
	}
	return sim.Suite{World: c.World, Policies: pols, Seeds: seeds, Invoices: c.Invoices, Start: start, Months: c.Months,
		Window: window, History: past, Shards: c.Shards, Parallel: c.Parallel, Store: c.Store}, nil
}

func (c *SimulateCmd) baseline(pols []sim.NamedPolicy) string {
	if c.Baseline != "" {
		return c.Baseline
	}
	for _, p := range pols {
		if p.Name == "fixed-0-3-7-15" {
			return p.Name
		}
	}
	return pols[0].Name
}
