package sim

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sqlite"
)

// LiveConfig sets up a live simulation: a world played against the production engine in
// accelerated real time, on a store others (the dashboard) read while it runs.
type LiveConfig struct {
	World  string
	Policy *policy.Policy
	// DB is a migrated SQLite database (sqlite.Open, not a scratch one: others read it).
	DB *sqlite.DB
	// Start is the simulated time at which the run starts.
	Start time.Time
	// Speed is how many simulated seconds pass per real second (17280: a day every 5 s).
	Speed float64
	// FailuresPerDay is about how many renewals fail per simulated day; Days how many days of
	// failures the world produces.
	FailuresPerDay, Days int
	Seed                 uint64
	// IDPrefix starts the world's ids (Config.IDPrefix): a world played on a database an
	// earlier world wrote needs one of its own.
	IDPrefix string
	// StripeRecovery makes the world play Stripe's own recovery (Config.StripeRecovery).
	StripeRecovery bool
	Logger         *slog.Logger
	// OnClick, when set, is called when a simulated customer opens the card update link of
	// recoup's message m, at the click's simulated time, inside the simulation's step: the
	// demo opens the real link (web's /u/{token}) there. It must not call back into Live.
	OnClick func(m recoup.Message)
}

// Live is a running live simulation. Its methods are safe for concurrent use: the operator
// actions (it implements the dashboard's Operator) take the simulation's lock and run on the
// simulation's engine and clock, so their jobs join the simulated job queue.
type Live struct {
	mu        sync.Mutex
	s         *simulation
	store     recoup.Store // the simulation's store, jobs staged on its agenda
	start     time.Time
	wallStart time.Time
	speed     float64
	wall      func() time.Time
}

// NewLive prepares a live simulation; Run runs it.
func NewLive(ctx context.Context, cfg LiveConfig) (*Live, error) {
	if cfg.Policy == nil || cfg.DB == nil || cfg.Speed <= 0 || cfg.FailuresPerDay <= 0 || cfg.Days <= 0 {
		return nil, fmt.Errorf("live simulation: policy, database, a positive speed, failures per day and days are required")
	}
	world, err := NewWorld(cfg.World)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	end := cfg.Start.AddDate(0, 0, cfg.Days)
	window := 60 * 24 * time.Hour
	months := max(1, cfg.Days/30+3)
	s := &simulation{
		ctx: context.WithoutCancel(ctx), cancel: ctx, now: cfg.Start,
		rng:   rand.New(rand.NewPCG(cfg.Seed, 0x7265636f7570)),
		cfg:   Config{Invoices: cfg.FailuresPerDay * cfg.Days, Start: cfg.Start, End: end, Window: window, Seed: cfg.Seed, IDPrefix: cfg.IDPrefix, StripeRecovery: cfg.StripeRecovery},
		world: world, log: log, tally: newTally(cfg.Start, months, window), onSettled: func() {},
		onClick: cfg.OnClick,
	}
	store := &stagingStore{Store: sqlite.NewStore(cfg.DB, func(_ context.Context, _ *sql.Tx, jobs []recoup.Job) error { return s.stage(jobs) }), sim: s}
	s.eng = engine.New(engine.Config{Store: store, Gateway: gatewayOf(world, s),
		Notifier: countingNotifier{World: world, sim: s}, Policy: cfg.Policy, Logger: log})
	if err := world.Start(s); err != nil {
		return nil, fmt.Errorf("start world %s: %w", cfg.World, err)
	}
	return &Live{s: s, store: store, start: cfg.Start, speed: cfg.Speed, wall: time.Now, wallStart: time.Now()}, nil
}

// Now is the simulated time now: the start, plus the real time since NewLive times the speed.
func (l *Live) Now() time.Time {
	return l.start.Add(time.Duration(float64(l.wall().Sub(l.wallStart)) * l.speed))
}

// Engine is the simulation's engine, for reading its policy.
func (l *Live) Engine() *engine.Engine { return l.s.eng }

// Run plays the agenda as simulated time passes, until ctx ends or the world is done.
func (l *Live) Run(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		l.mu.Lock()
		if l.s.agenda.Len() == 0 {
			l.mu.Unlock()
			return nil
		}
		now := l.Now()
		next := l.s.agenda.first().at
		if next.After(now) {
			l.mu.Unlock()
			wait := time.Duration(float64(next.Sub(now)) / l.speed)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(min(max(wait, time.Millisecond), 200*time.Millisecond)):
			}
			continue
		}
		err := l.s.step(l.s.agenda.next())
		l.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// Summary is the run's summary so far, as `recoup simulate` reports one: what the world knows
// happened (by_mechanism is the world's truth). Once Run has returned because the world is done,
// every invoice is settled.
func (l *Live) Summary() (Summary, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.tally.summary()
}

// act runs an operator action on the simulation's engine at the simulated time now.
func (l *Live) act(fn func(now time.Time) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.now = later(l.s.now, l.Now())
	return fn(l.s.now)
}

// unfinished are the states of a case whose recovery is not over: the world that was to pay,
// decline or void its invoice has to be there.
var unfinished = []recoup.CaseState{recoup.StateOpen, recoup.StateScheduled, recoup.StateRetrying,
	recoup.StateAwaitingCustomer, recoup.StatePaused}

// CloseUnfinished closes, at the simulated time, every case of the store whose recovery is not
// over: a live simulation started on a database an earlier one wrote (a demo resumed) plays a
// new world, in which the earlier world's invoices, customers and their hidden state do not
// exist, so nothing would ever pay, decline or void them, and their planned actions went with
// the earlier run. Each case's timeline says why (the note, in words), then the case closes as
// if its invoice were voided. Exhausted cases (the final action ran) stay as they are. Call it
// before Run; it returns how many cases it closed.
func (l *Live) CloseUnfinished(ctx context.Context, note string) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.s.now
	var ids []int64
	for _, state := range unfinished {
		for before := int64(0); ; {
			page, err := l.store.Cases(ctx, recoup.CaseFilter{State: state, Before: before, Limit: recoup.MaxCaseLimit})
			if err != nil {
				return 0, fmt.Errorf("list the %s cases: %w", state, err)
			}
			for _, c := range page.Cases {
				ids = append(ids, c.ID)
			}
			if before = page.Next; before == 0 {
				break
			}
		}
	}
	for _, id := range ids {
		var c recoup.Case
		err := l.store.Tx(ctx, func(tx recoup.Tx) (err error) {
			if c, err = tx.Case(id); err != nil {
				return err
			}
			return tx.AppendTimeline(&recoup.TimelineEntry{CaseID: id, At: now, Kind: recoup.EntryEvent, Summary: note})
		})
		if err != nil {
			return 0, fmt.Errorf("case %d: %w", id, err)
		}
		obs := engine.Observation{Invoice: recoup.Invoice{ID: c.InvoiceID, CustomerID: c.CustomerID, SubscriptionID: c.SubscriptionID,
			Status: recoup.InvoiceVoid}, Source: engine.Source{EventType: "the simulated world restarted"}}
		if _, err := l.s.eng.Observe(ctx, now, obs); err != nil {
			return 0, fmt.Errorf("close case %d: %w", id, err)
		}
	}
	return len(ids), nil
}

// RetryNow is engine.RetryNow at the simulated time.
func (l *Live) RetryNow(ctx context.Context, _ time.Time, caseID int64, who string) error {
	return l.act(func(now time.Time) error { return l.s.eng.RetryNow(ctx, now, caseID, who) })
}

// SkipToFinal is engine.SkipToFinal at the simulated time.
func (l *Live) SkipToFinal(ctx context.Context, _ time.Time, caseID int64, who string) error {
	return l.act(func(now time.Time) error { return l.s.eng.SkipToFinal(ctx, now, caseID, who) })
}

// MarkResolved is engine.MarkResolved at the simulated time.
func (l *Live) MarkResolved(ctx context.Context, _ time.Time, caseID int64, who, why string) error {
	return l.act(func(now time.Time) error { return l.s.eng.MarkResolved(ctx, now, caseID, who, why) })
}

// Pause is engine.Pause at the simulated time.
func (l *Live) Pause(ctx context.Context, _ time.Time, caseID int64, who string) error {
	return l.act(func(now time.Time) error { return l.s.eng.Pause(ctx, now, caseID, who) })
}

// Resume is engine.Resume at the simulated time.
func (l *Live) Resume(ctx context.Context, _ time.Time, caseID int64, who string) error {
	return l.act(func(now time.Time) error { return l.s.eng.Resume(ctx, now, caseID, who) })
}

// Approve is engine.Approve at the simulated time.
func (l *Live) Approve(ctx context.Context, _ time.Time, caseID int64, who string) error {
	return l.act(func(now time.Time) error { return l.s.eng.Approve(ctx, now, caseID, who) })
}
