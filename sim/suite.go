package sim

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/recoup-hq/recoup/policy"
)

// NamedPolicy is a policy with the name the report shows.
type NamedPolicy struct {
	Name   string
	Policy *policy.Policy
	// StripeRecovery: the world plays Stripe's own recovery in this policy's runs
	// (Run.StripeRecovery).
	StripeRecovery bool
}

// LoadPolicies loads policy files, naming each by its file name without extension.
func LoadPolicies(paths []string) ([]NamedPolicy, error) {
	out := make([]NamedPolicy, 0, len(paths))
	seen := map[string]string{}
	for _, path := range paths {
		p, err := policy.Load(path)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if other, dup := seen[name]; dup {
			return nil, fmt.Errorf("policies %s and %s have the same name %q", other, path, name)
		}
		seen[name] = path
		out = append(out, NamedPolicy{Name: name, Policy: p})
	}
	return out, nil
}

// Suite runs several policies on the same world and seeds: for a given seed, every policy meets
// the identical world.
type Suite struct {
	World    string
	Policies []NamedPolicy
	Seeds    []uint64
	Invoices int
	Start    time.Time
	Months   int
	Window   time.Duration
	// History, if positive, has every run import that long a past first (Run.History).
	History time.Duration
	// Shards splits each run into independent parallel parts (see Run.Shards).
	Shards int
	// Parallel is how many shards execute at once (each is single-threaded); 0 means the
	// number of CPUs. It does not change the results.
	Parallel int
	// Store is the runs' store (Run.Store): StoreMemory ("" too) or StoreSQLite.
	Store string
	// Dir holds the runs' databases with StoreSQLite; Keep leaves them there (Run.Keep).
	Dir      string
	Keep     bool
	Progress func()
}

// Run executes every (policy, seed) run and returns the summaries ordered by policy, then seed,
// whatever order the runs finished in.
func (s Suite) Run(ctx context.Context) ([]Summary, error) {
	if len(s.Policies) == 0 || len(s.Seeds) == 0 {
		return nil, fmt.Errorf("simulate: need at least one policy and one seed")
	}
	par := s.Parallel
	if par <= 0 {
		par = runtime.NumCPU()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]Summary, len(s.Policies)*len(s.Seeds))
	errs := make([]error, len(out))
	var progress sync.Mutex
	slots := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, p := range s.Policies {
		for k, seed := range s.Seeds {
			idx := i*len(s.Seeds) + k
			run := Run{World: s.World, PolicyName: p.Name, Policy: p.Policy, Invoices: s.Invoices, Start: s.Start,
				Months: s.Months, Window: s.Window, Seed: seed, StripeRecovery: p.StripeRecovery, History: s.History, Store: s.Store, Dir: s.Dir, Keep: s.Keep, Shards: s.Shards, Slots: slots}
			if s.Progress != nil {
				run.Progress = func() { progress.Lock(); s.Progress(); progress.Unlock() }
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if ctx.Err() != nil {
					errs[idx] = ctx.Err()
					return
				}
				out[idx], errs[idx] = run.Execute(ctx)
				if errs[idx] != nil {
					errs[idx] = fmt.Errorf("policy %s, seed %d: %w", p.Name, seed, errs[idx])
					cancel()
				}
			}()
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
