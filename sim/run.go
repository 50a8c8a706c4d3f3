// Package sim is recoup's discrete-event simulator. It drives the production engine (the same
// engine, policy, decline classifier and campaign code as `recoup serve`, on a real SQLite
// store) under a virtual clock, against a world model that plays Stripe, the card networks, the
// issuers and the customers. Only the clock, the job transport (a virtual-time agenda instead of
// River), the payment gateway and the notifier are swapped. The world also knows, for every
// invoice, the best outcome any compliant policy could have reached (the oracle), so a policy is
// measured against baselines and against that upper bound.
package sim

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/memstore"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sqlite"
)

// Run is one simulation: one world, one policy, one seed.
type Run struct {
	World string // a registered world's name
	// PolicyName names the policy in the summary; Policy is the policy itself.
	PolicyName string
	Policy     *policy.Policy
	Invoices   int
	// Start is when the first failures begin; failures happen over Months months.
	Start  time.Time
	Months int
	// Window is how long each invoice is followed after its first failure.
	Window time.Duration
	Seed   uint64
	// StripeRecovery makes the world play Stripe's own recovery (Config.StripeRecovery) for
	// the invoices whose automatic collection is on.
	StripeRecovery bool
	// History, if positive, makes the world play that long a past before Start (the same
	// failures per month, Stripe's own recovery handling them, from a random stream of its own:
	// the run's own failures are the same with or without it), which recoup imports through its
	// history import, reading the world's Stripe listings, before the first failure.
	History time.Duration
	// Store is the store each shard's engine runs on: StoreMemory ("" too), or StoreSQLite (a
	// scratch SQLite database in Dir). The summary is the same on both.
	Store string
	// Dir holds the run's SQLite databases (files, so that memory does not grow with the
	// cases) with StoreSQLite. It must exist; the caller removes it.
	Dir string
	// Keep leaves each shard's SQLite database in Dir when the run ends (sim-POLICY-SEED-SHARD.db),
	// for reading its cases, timelines and attempts afterwards. A file of that name already
	// there is replaced.
	Keep bool
	// Shards splits the run into independent parts run in parallel, each with its own world
	// (its share of the invoices, its own seed), store and engine; the summary merges them.
	// 0 or 1: one part. The summary depends on the number of shards, not on how many run at
	// once, so a run stays reproducible on any machine. A learning policy learns per shard.
	Shards int
	// Slots, if set, bounds how many shards (of all runs sharing it) execute at once.
	Slots chan struct{}
	// Progress, if set, is called each time an invoice's outcome is settled.
	Progress func()
	Logger   *slog.Logger
}

// The stores a run can use (Run.Store).
const (
	// StoreMemory keeps each shard's store in memory (package memstore): no SQL, the fastest.
	StoreMemory = "memory"
	// StoreSQLite keeps it in a scratch SQLite database, the engine's production store.
	StoreSQLite = "sqlite"
)

// maxJobTries is how often a failing engine job is retried before it is dropped (and counted).
const maxJobTries = 8

// Execute runs the simulation to its end and returns its summary. The same Run (world, policy,
// seed, sizes and shards) always gives the same summary.
func (r Run) Execute(ctx context.Context) (Summary, error) {
	if err := r.validate(); err != nil {
		return Summary{}, err
	}
	k := max(r.Shards, 1)
	tallies := make([]*tally, k)
	units := make([][]shardUnit, k)
	outside := make([]int, k)
	errs := make([]error, k)
	progress := r.Progress
	if progress != nil && k > 1 {
		var mu sync.Mutex
		progress = func() { mu.Lock(); r.Progress(); mu.Unlock() }
	}
	var wg sync.WaitGroup
	for i := range k {
		n := r.Invoices / k
		if i < r.Invoices%k {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.Slots != nil {
				r.Slots <- struct{}{}
				defer func() { <-r.Slots }()
			}
			tallies[i], units[i], outside[i], errs[i] = r.shard(ctx, i, n, shardSeed(r.Seed, i), progress)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Summary{}, err
	}
	t := tallies[0]
	for _, o := range tallies[1:] {
		if err := t.merge(o); err != nil {
			return Summary{}, err
		}
	}
	sum, err := t.summary()
	if err != nil {
		return Summary{}, err
	}
	sum.Policy, sum.PolicyVersion, sum.World, sum.Seed = r.PolicyName, r.Policy.Version, r.World, r.Seed
	sum.StripeRecovery = r.stripeRecovery()
	if x := r.Policy.Experiment; x != nil {
		var all int
		for _, n := range outside {
			all += n
		}
		if sum.Experiment, err = measureExperiment(x, units, all, r.Start, t.major); err != nil {
			return Summary{}, err
		}
	}
	return sum, nil
}

// stripeRecovery reports whether the world plays Stripe's own recovery: when asked, and always
// when the policy's experiment leaves an arm to Stripe (the merchant keeps Stripe's settings
// on for the control, and recoup takes each managed invoice out of them).
func (r Run) stripeRecovery() bool { return r.StripeRecovery || hasStripeControl(r.Policy) }

// shardSeed derives shard i's seed; shard 0 uses the run's seed, so one shard is the plain run.
func shardSeed(seed uint64, i int) uint64 { return seed + uint64(i)*0x9e3779b97f4a7c15 }

// shard runs one independent part of the run: its own world (with its share of the invoices
// and its own seed), store and engine.
// With an experiment in the policy, it also returns the experiment's customers in the shard and
// how many of its invoices are in no arm.
func (r Run) shard(ctx context.Context, k, invoices int, seed uint64, progress func()) (*tally, []shardUnit, int, error) {
	world, err := NewWorld(r.World)
	if err != nil {
		return nil, nil, 0, err
	}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	end := r.Start.AddDate(0, r.Months, 0)
	s := &simulation{
		// The engine and the store get a context that cannot be cancelled: with a cancellable
		// one, database/sql and the SQLite driver start a goroutine per transaction and per
		// statement to watch it (a goroutine start and a context switch each time). The loop
		// checks ctx instead.
		ctx:    context.WithoutCancel(ctx),
		cancel: ctx,
		now:    r.Start,
		rng:    rand.New(rand.NewPCG(seed, 0x7265636f7570)), // "recoup"
		cfg:    Config{Invoices: invoices, Start: r.Start, End: end, Window: r.Window, Seed: seed, StripeRecovery: r.stripeRecovery()},
		world:  world,
		log:    log,
		tally:  newTally(r.Start, r.Months, r.Window),
		onSettled: func() {
			if progress != nil {
				progress()
			}
		},
	}
	base, experimentRows, closeStore, err := r.openStore(ctx, k, s)
	if err != nil {
		return nil, nil, 0, err
	}
	defer closeStore()
	store := &stagingStore{Store: base, sim: s}
	s.eng = engine.New(engine.Config{
		Store:    store,
		Gateway:  gatewayOf(world, s),
		Notifier: countingNotifier{World: world, sim: s},
		Policy:   r.Policy,
		Logger:   log,
	})
	if r.History > 0 {
		if s.tally.history, err = ImportPast(ctx, store, r.World, s.cfg, r.History, r.Policy); err != nil {
			return nil, nil, 0, err
		}
	}
	if r.Policy.Experiment != nil {
		s.tally.keepSettled()
	}
	if err := world.Start(s); err != nil {
		return nil, nil, 0, fmt.Errorf("start world %s: %w", r.World, err)
	}
	// Nothing a world schedules matters after every invoice's window has passed; the margin
	// lets late engine jobs (stale plans) drain.
	horizon := end.Add(r.Window + 7*24*time.Hour)
	if err := s.loop(horizon); err != nil {
		return nil, nil, 0, err
	}
	if r.Policy.Experiment == nil {
		return s.tally, nil, 0, nil
	}
	name := r.Policy.Experiment.Name
	x, err := experimentRows(ctx, name)
	if err != nil {
		return nil, nil, 0, err
	}
	units, outside, err := shardUnits(name, x, s.tally, k)
	if err != nil {
		return nil, nil, 0, err
	}
	return s.tally, units, outside, nil
}

// openStore opens shard k's store for the simulation s: its store, how to read its
// experiment's rows at the end, and how to close it.
func (r Run) openStore(ctx context.Context, k int, s *simulation) (recoup.Store, func(context.Context, string) (experimentRows, error), func(), error) {
	if r.Store != StoreSQLite {
		st := memstore.New(func(_ context.Context, jobs []recoup.Job) error { return s.stage(jobs) })
		return st, func(_ context.Context, name string) (experimentRows, error) {
			return memoryExperimentRows(st, name), nil
		}, func() {}, nil
	}
	// The database lives in a file for the run (so memory does not grow with the cases), used
	// by this shard alone; durability is not needed, speed is.
	path := filepath.Join(r.Dir, fmt.Sprintf("sim-%s-%d-%d.db", r.PolicyName, r.Seed, k))
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, err // an earlier run's store must not be added to
	}
	db, err := sqlite.OpenScratch(ctx, path)
	if err != nil {
		return nil, nil, nil, err
	}
	closeDB := func() {
		db.Close()
		if !r.Keep {
			os.Remove(path) // a run's store holds hundreds of MB; many runs share the directory
		}
	}
	if err := db.Migrate(ctx); err != nil {
		closeDB()
		return nil, nil, nil, err
	}
	st := sqlite.NewStore(db, func(_ context.Context, _ *sql.Tx, jobs []recoup.Job) error { return s.stage(jobs) })
	rows := func(ctx context.Context, name string) (experimentRows, error) {
		return sqliteExperimentRows(ctx, db.SQL(), name)
	}
	return st, rows, closeDB, nil
}

func (r Run) validate() error {
	switch {
	case r.Policy == nil:
		return fmt.Errorf("simulate: no policy")
	case r.Invoices <= 0:
		return fmt.Errorf("simulate: invoices must be positive, got %d", r.Invoices)
	case r.Months <= 0:
		return fmt.Errorf("simulate: months must be positive, got %d", r.Months)
	case r.Window < 24*time.Hour:
		return fmt.Errorf("simulate: the observation window must be at least a day, got %s", r.Window)
	case r.History < 0:
		return fmt.Errorf("simulate: the history must not be negative, got %s", r.History)
	case r.Store != "" && r.Store != StoreMemory && r.Store != StoreSQLite:
		return fmt.Errorf("simulate: unknown store %q: %s or %s", r.Store, StoreMemory, StoreSQLite)
	case r.Store == StoreSQLite && r.Dir == "":
		return fmt.Errorf("simulate: no directory for the run's database")
	}
	return nil
}

// simulation is the Env the world sees and the driver of the engine.
type simulation struct {
	ctx       context.Context
	cancel    context.Context // the caller's context, checked between steps
	now       time.Time
	rng       *rand.Rand
	cfg       Config
	world     World
	eng       *engine.Engine
	log       *slog.Logger
	agenda    agenda
	tally     *tally
	staged    []recoup.Job
	onSettled func()
	err       error // the first failure of a world callback into the simulation
	// onClick, when set, follows a customer's click on a message's link (LiveConfig.OnClick).
	onClick func(m recoup.Message)
}

var _ Env = (*simulation)(nil)

func (s *simulation) Now() time.Time { return s.now }

// Clicked follows the customer's click on the link of message m (a live simulation opens the
// link for real); a batch run does nothing with it.
func (s *simulation) Clicked(m recoup.Message) {
	if s.onClick != nil {
		s.onClick(m)
	}
}
func (s *simulation) Rand() *rand.Rand { return s.rng }
func (s *simulation) Config() Config   { return s.cfg }

func (s *simulation) At(t time.Time, fn func()) {
	s.agenda.add(&item{at: later(t, s.now), fn: fn})
}

// Emit hands the event to the engine exactly as the webhook handler does once the signature is
// verified: stored once by id, its processing queued in the same transaction.
func (s *simulation) Emit(ev recoup.Event) {
	if ev.Origin == "" {
		ev.Origin = recoup.OriginWebhook
	}
	if ev.Created.IsZero() {
		ev.Created = s.now
	}
	if ev.Payload == nil {
		ev.Payload = []byte(`{}`)
	}
	if _, err := s.eng.Ingest(s.ctx, s.now, &ev); err != nil && s.err == nil {
		s.err = fmt.Errorf("ingest %s at %s: %w", ev.Type, s.now.Format(time.RFC3339), err)
	}
}

func (s *simulation) Failed(f Failure) {
	if err := s.tally.failed(f); err != nil && s.err == nil {
		s.err = err
	}
}

func (s *simulation) Resolved(o Outcome) {
	if err := s.tally.resolved(o); err != nil && s.err == nil {
		s.err = err
		return
	}
	s.onSettled()
}

func (s *simulation) Violation(v Violation) {
	s.log.Debug("network rule broken", "invoice", v.InvoiceID, "rule", v.Rule, "at", s.now)
	s.tally.violation(v)
}

func (s *simulation) StripeAttempt(invoiceID string, paid bool) { s.tally.stripeAttempt(paid) }

func (s *simulation) StripeEmail(invoiceID string) { s.tally.stripeEmails++ }

// stage receives the jobs of a store transaction right before it commits.
func (s *simulation) stage(jobs []recoup.Job) error {
	s.staged = append(s.staged, jobs...)
	return nil
}

// loop runs the agenda until it is empty or past the horizon.
func (s *simulation) loop(horizon time.Time) error {
	for s.agenda.Len() > 0 {
		if err := s.cancel.Err(); err != nil {
			return err
		}
		it := s.agenda.next()
		if it.at.After(horizon) {
			break
		}
		if err := s.step(it); err != nil {
			return err
		}
	}
	s.tally.unsettledAtEnd()
	return nil
}

// step runs one item of the agenda at its time.
func (s *simulation) step(it *item) error {
	s.now = later(it.at, s.now)
	if it.fn != nil {
		it.fn()
	} else {
		s.runJob(it)
	}
	return s.err
}

// runJob runs an engine job as the River worker does, retrying failures with backoff.
func (s *simulation) runJob(it *item) {
	var err error
	j := it.job
	switch j.Kind {
	case recoup.JobProcessEvent:
		err = s.eng.ProcessEvent(s.ctx, s.now, j.EventID)
	case recoup.JobAct:
		err = s.eng.Act(s.ctx, s.now, j.CaseID, j.Seq)
	case recoup.JobMessage:
		err = s.eng.Message(s.ctx, s.now, j.CaseID, j.Seq)
	case recoup.JobLifecycle:
		err = s.eng.Lifecycle(s.ctx, s.now, j.CaseID, j.Event)
	case recoup.JobInvoiceReminder:
		err = s.eng.InvoiceReminder(s.ctx, s.now, j.InvoiceID, j.Seq)
	case recoup.JobCardSwitch:
		err = s.eng.SwitchCard(s.ctx, s.now, j.CaseID)
	case recoup.JobCardExpiring:
		err = s.eng.CardExpiringNotices(s.ctx, s.now, j.CustomerID)
	case recoup.JobTakeover:
		err = s.eng.TakeOver(s.ctx, s.now, j.CaseID)
	default:
		err = recoup.Errorf(recoup.EINVALID, "unknown job kind %q", j.Kind)
	}
	if err == nil {
		return
	}
	if later, ok := errors.AsType[*recoup.RunLater](err); ok {
		s.agenda.add(&item{at: later.At, job: j, try: it.try})
		return
	}
	s.tally.jobErrors++
	s.log.Debug("job failed", "job", j, "try", it.try, "err", err)
	if c := recoup.ErrorCode(err); c == recoup.EINVALID || c == recoup.ENOTFOUND || it.try+1 >= maxJobTries {
		return
	}
	it.try++
	s.agenda.add(&item{at: s.now.Add(time.Minute << it.try), job: j, try: it.try})
}

// stagingStore queues the jobs of a transaction on the agenda once it has committed, as River
// makes jobs inserted in a transaction visible only when it commits.
type stagingStore struct {
	recoup.Store
	sim *simulation
}

func (st *stagingStore) Tx(ctx context.Context, fn func(recoup.Tx) error) error {
	st.sim.staged = st.sim.staged[:0]
	err := st.Store.Tx(ctx, fn)
	if err == nil {
		for _, j := range st.sim.staged {
			st.sim.agenda.add(&item{at: later(j.RunAt, st.sim.now), job: j})
		}
	}
	st.sim.staged = st.sim.staged[:0]
	return err
}

// countingGateway counts the charges the engine makes, independently of the world.
type countingGateway struct {
	World
	sim *simulation
}

func (g countingGateway) Pay(ctx context.Context, req recoup.PayRequest) (recoup.PayResult, error) {
	inv := g.sim.tally.open[req.InvoiceID]
	res, err := g.World.Pay(ctx, req)
	if err == nil {
		g.sim.tally.attempt(inv, res.Paid)
	}
	return res, err
}

// takeoverGateway is countingGateway for a world that also plays Stripe's per-invoice switch of
// automatic collection, so that the engine finds recoup.TakeoverGateway on its gateway.
type takeoverGateway struct {
	countingGateway
	takeover recoup.TakeoverGateway
}

func (g takeoverGateway) SetAutoAdvance(ctx context.Context, invoiceID string, on bool, idempotencyKey string) error {
	return g.takeover.SetAutoAdvance(ctx, invoiceID, on, idempotencyKey)
}

// gatewayOf is the engine's gateway to the world: counting its charges, and with the optional
// ports the world implements.
func gatewayOf(world World, s *simulation) recoup.Gateway {
	g := countingGateway{World: world, sim: s}
	t, takeover := world.(recoup.TakeoverGateway)
	b, backup := world.(recoup.BackupGateway)
	switch {
	case takeover && backup:
		return takeoverBackupGateway{takeoverGateway{countingGateway: g, takeover: t}, b}
	case takeover:
		return takeoverGateway{countingGateway: g, takeover: t}
	case backup:
		return backupGateway{g, b}
	}
	return g
}

// backupGateway and takeoverBackupGateway add the customers' saved payment methods of a world
// that keeps them (recoup.BackupGateway), for backup_payment_method.
type backupGateway struct {
	countingGateway
	backup recoup.BackupGateway
}

func (g backupGateway) PaymentMethods(ctx context.Context, customerID string) ([]recoup.SavedMethod, error) {
	return g.backup.PaymentMethods(ctx, customerID)
}

type takeoverBackupGateway struct {
	takeoverGateway
	backup recoup.BackupGateway
}

func (g takeoverBackupGateway) PaymentMethods(ctx context.Context, customerID string) ([]recoup.SavedMethod, error) {
	return g.backup.PaymentMethods(ctx, customerID)
}

// countingNotifier counts the messages the engine sends.
type countingNotifier struct {
	World
	sim *simulation
}

func (n countingNotifier) Send(ctx context.Context, m recoup.Message) error {
	inv := n.sim.tally.open[m.InvoiceID]
	err := n.World.Send(ctx, m)
	if err == nil {
		n.sim.tally.message(inv)
	}
	return err
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
