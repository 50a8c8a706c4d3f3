package sim

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/history"
	"github.com/recoup-hq/recoup/policy"
)

// The year before a run (Run.History): the world plays the failures of the period before Start
// with Stripe's own recovery handling them and no recoup, and keeps Stripe's record of them (a
// Ledger). The run then imports that record through the history import's own code (package
// history, reading recoup.HistorySource) before its first failure, as a merchant does on the
// day they install recoup. The engine sees only what Stripe's listings show.

// Historian is a world that can keep Stripe's record of what it plays: every charge and every
// invoice, as Stripe's listings of charges and invoices would show them.
type Historian interface {
	World
	// RecordTo makes the world write every charge it makes and every invoice it opens or
	// closes to l. Called before Start.
	RecordTo(l *Ledger)
}

// Ledger is Stripe's record of a world's charges and invoices, listed as Stripe lists them
// (recoup.HistorySource): newest first, resumable after an ID. Only what Stripe shows is in it.
type Ledger struct {
	charges  []recoup.HistoricalCharge
	invoices map[string]*recoup.HistoricalInvoice
	order    []string // invoice IDs in the order they were opened
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{invoices: map[string]*recoup.HistoricalInvoice{}} }

var _ recoup.HistorySource = (*Ledger)(nil)

// Invoice records the invoice as Stripe shows it now (its payments are added by Charge and
// kept).
func (l *Ledger) Invoice(inv recoup.HistoricalInvoice) {
	old, ok := l.invoices[inv.ID]
	if !ok {
		l.order = append(l.order, inv.ID)
	} else {
		inv.PaymentIntentIDs, inv.ChargeIDs = old.PaymentIntentIDs, old.ChargeIDs
	}
	l.invoices[inv.ID] = &inv
}

// Charge records a charge of the invoice (recorded before with Invoice), joined to it through
// its PaymentIntent as Stripe's invoice payments join them.
func (l *Ledger) Charge(invoiceID string, ch recoup.HistoricalCharge) {
	l.charges = append(l.charges, ch)
	if inv := l.invoices[invoiceID]; inv != nil && ch.PaymentIntentID != "" && !slices.Contains(inv.PaymentIntentIDs, ch.PaymentIntentID) {
		inv.PaymentIntentIDs = append(inv.PaymentIntentIDs, ch.PaymentIntentID)
	}
}

// Counts returns how many charges and invoices the ledger holds.
func (l *Ledger) Counts() (charges, invoices int) { return len(l.charges), len(l.order) }

// Charges lists the charges created at or after since, newest first, after startingAfter.
func (l *Ledger) Charges(ctx context.Context, since time.Time, startingAfter string) iter.Seq2[recoup.HistoricalCharge, error] {
	list := slices.Clone(l.charges)
	slices.SortFunc(list, func(a, b recoup.HistoricalCharge) int {
		return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(b.ID, a.ID))
	})
	return listing(ctx, list, since, startingAfter, "charge",
		func(c recoup.HistoricalCharge) (string, time.Time) { return c.ID, c.Created })
}

// Invoices lists the invoices created at or after since, newest first, after startingAfter.
func (l *Ledger) Invoices(ctx context.Context, since time.Time, startingAfter string) iter.Seq2[recoup.HistoricalInvoice, error] {
	list := make([]recoup.HistoricalInvoice, 0, len(l.order))
	for _, id := range l.order {
		inv := *l.invoices[id]
		inv.PaymentIntentIDs, inv.ChargeIDs = slices.Clone(inv.PaymentIntentIDs), slices.Clone(inv.ChargeIDs)
		list = append(list, inv)
	}
	slices.SortFunc(list, func(a, b recoup.HistoricalInvoice) int {
		return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(b.ID, a.ID))
	})
	return listing(ctx, list, since, startingAfter, "invoice",
		func(inv recoup.HistoricalInvoice) (string, time.Time) { return inv.ID, inv.Created })
}

// listing yields the sorted list's items created at or after since, after the item
// startingAfter, as Stripe's list endpoints do.
func listing[T any](ctx context.Context, list []T, since time.Time, startingAfter, what string, key func(T) (string, time.Time)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		from := 0
		if startingAfter != "" {
			i := slices.IndexFunc(list, func(x T) bool { id, _ := key(x); return id == startingAfter })
			if i < 0 {
				var zero T
				yield(zero, recoup.Errorf(recoup.EINVALID, "no such %s: %s", what, startingAfter))
				return
			}
			from = i + 1
		}
		for _, x := range list[from:] {
			if err := ctx.Err(); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			if _, at := key(x); at.Before(since) {
				return // newest first: the rest are older
			}
			if !yield(x, nil) {
				return
			}
		}
	}
}

// pastSeed derives the seed of the year before a run from the run's (or shard's) seed: its own
// stream, so that playing the past draws nothing from the run's.
func pastSeed(seed uint64) uint64 { return seed ^ 0x686973746f7279 } // "history"

// pastIDPrefix starts every id of the past's objects, so that they never collide with the run's.
const pastIDPrefix = "h"

// PlayPast plays the period of length span before cfg.Start on a fresh instance of the world,
// with as many failures per unit of time as cfg has in [Start, End) and Stripe's own recovery
// handling each of them, and returns Stripe's record of it as it stands at cfg.Start. It draws
// from its own random stream (seeded from cfg.Seed with pastSeed), never from the run's.
func PlayPast(ctx context.Context, world string, cfg Config, span time.Duration) (*Ledger, error) {
	w, err := NewWorld(world)
	if err != nil {
		return nil, err
	}
	h, ok := w.(Historian)
	if !ok {
		return nil, fmt.Errorf("world %s cannot play the year before the run (history)", world)
	}
	l := NewLedger()
	h.RecordTo(l)
	n := int(math.Round(float64(cfg.Invoices) * float64(span) / float64(cfg.End.Sub(cfg.Start))))
	if n == 0 {
		return l, nil
	}
	seed := pastSeed(cfg.Seed)
	env := &pastEnv{
		now: cfg.Start.Add(-span),
		rng: rand.New(rand.NewPCG(seed, 0x7265636f7570)),
		cfg: Config{Invoices: n, Start: cfg.Start.Add(-span), End: cfg.Start, Window: cfg.Window, Seed: seed,
			IDPrefix: cfg.IDPrefix + pastIDPrefix, StripeRecovery: true},
	}
	if err := h.Start(env); err != nil {
		return nil, fmt.Errorf("start the past of world %s: %w", world, err)
	}
	for env.agenda.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it := env.agenda.next()
		if !it.at.Before(cfg.Start) {
			break // what happens from Start on is not the past
		}
		env.now = later(it.at, env.now)
		it.fn()
	}
	return l, nil
}

// ImportPast has the world play the span before cfg.Start (PlayPast) and imports Stripe's
// record of it into the store with the history import (package history, the code `recoup
// history import` runs), dated cfg.Start: as a merchant does on the day they install recoup,
// before the first failure recoup handles.
func ImportPast(ctx context.Context, store recoup.Store, world string, cfg Config, span time.Duration, p *policy.Policy) (*HistoryStat, error) {
	ledger, err := PlayPast(ctx, world, cfg, span)
	if err != nil {
		return nil, err
	}
	im := &history.Importer{Store: store, Stripe: ledger, Policy: p, Now: func() time.Time { return cfg.Start }}
	res, err := im.Run(context.WithoutCancel(ctx), cfg.Start.Add(-span))
	if err != nil {
		return nil, fmt.Errorf("import the past: %w", err)
	}
	st := &HistoryStat{Days: int(span / (24 * time.Hour)), Invoices: res.Invoices, Charges: res.Charges, Observations: res.Observations}
	st.ListedCharges, st.ListedInvoices = ledger.Counts()
	return st, nil
}

// pastEnv is the Env of a world playing the past: nobody but Stripe handles its failures, and
// nothing is measured.
type pastEnv struct {
	now    time.Time
	rng    *rand.Rand
	cfg    Config
	agenda agenda
}

var _ Env = (*pastEnv)(nil)

func (e *pastEnv) Now() time.Time   { return e.now }
func (e *pastEnv) Rand() *rand.Rand { return e.rng }
func (e *pastEnv) Config() Config   { return e.cfg }
func (e *pastEnv) At(t time.Time, fn func()) {
	e.agenda.add(&item{at: later(t, e.now), fn: fn})
}
func (e *pastEnv) Emit(recoup.Event)          {}
func (e *pastEnv) Failed(Failure)             {}
func (e *pastEnv) Resolved(Outcome)           {}
func (e *pastEnv) Violation(Violation)        {}
func (e *pastEnv) StripeAttempt(string, bool) {}
func (e *pastEnv) StripeEmail(string)         {}
func (e *pastEnv) Clicked(recoup.Message)     {}
