package engine

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/timing"
)

// ModelName names the retry-timing model in the store.
const ModelName = "retry_timing"

// snapshotEvery is how many folded observations make the engine save a snapshot of the model.
const snapshotEvery = 500

// learner is the engine's copy of the retry-timing model: the fold of every observation in the
// store, in ID order. Every process folds the same observations, so they all hold the same
// model; the store's snapshots spare a new process folding them all.
type learner struct {
	mu     sync.Mutex
	model  *timing.Model
	seen   int64 // the ID of the last observation folded
	loaded bool
	folded int // observations folded since the last snapshot
}

// sync brings the model up to date with the store, inside the caller's transaction, folded
// from priors pr: a model or snapshot folded from other priors (the policy changed them) is
// folded again from the first observation. The caller holds l.mu.
func (l *learner) sync(tx recoup.Tx, now time.Time, pr timing.Priors) error {
	if l.loaded && l.model.PriorsKey != pr.Key() {
		l.loaded = false
	}
	if !l.loaded {
		l.model, l.seen = timing.NewModelWith(pr), 0
		snap, err := tx.ModelSnapshot(ModelName)
		switch {
		case recoup.ErrorCode(err) == recoup.ENOTFOUND:
		case err != nil:
			return err
		default:
			m, err := timing.UnmarshalModelWith(snap.State, pr)
			if err != nil {
				return err
			}
			if m.PriorsKey == pr.Key() {
				l.model, l.seen = m, snap.UpTo
			}
		}
		l.loaded = true
	}
	for {
		obs, err := tx.Observations(ModelName, l.seen, 1000)
		if err != nil {
			return err
		}
		for _, o := range obs {
			switch o.Kind {
			case recoup.ObserveReset:
				l.model = timing.NewModelWith(pr)
			case recoup.ObserveOutcome:
				l.model.Update(o.Features, o.Success)
			}
			l.seen = o.ID
			l.folded++
		}
		if len(obs) < 1000 {
			break
		}
	}
	if l.folded >= snapshotEvery {
		state, err := l.model.Marshal()
		if err != nil {
			return err
		}
		if err := tx.SaveModelSnapshot(recoup.ModelSnapshot{Model: ModelName, UpTo: l.seen, State: state, At: now}); err != nil {
			return err
		}
		l.folded = 0
	}
	return nil
}

// customerClock is the customer's time zone and bank calendar: from their address, else from
// the card's issuing country (Stripe reports it on every decline), else the policy's zone.
func customerClock(c recoup.Case, p *policy.Policy) (*time.Location, timing.Calendar) {
	country, region := customerCountry(c)
	return timing.Zone(country, region, p.Location), timing.CalendarFor(country)
}

// customerCountry is the customer's country and region from their address, or the card's
// issuing country when the address has none.
func customerCountry(c recoup.Case) (country, region string) {
	country, region = c.CustomerCountry, c.CustomerRegion
	if country == "" && c.LastDecline != nil {
		country, region = c.LastDecline.CardCountry, ""
	}
	return strings.ToUpper(strings.TrimSpace(country)), region
}

// pastCases is how many of the customer's earlier cases the timing model looks at.
const pastCases = 12

// customerHistory reads what the customer's cases resolved before c's failure say about it:
// recoup's own cases and the invoices of the imported history (package history), the latest
// pastCases of them together.
func customerHistory(tx recoup.Tx, c recoup.Case) (timing.History, error) {
	var h timing.History
	if c.CustomerID == "" {
		return h, nil
	}
	cases, err := tx.PastCases(c.CustomerID, c.FirstFailedAt, pastCases)
	if err != nil {
		return h, err
	}
	imported, err := importedPast(tx, c.CustomerID, c.FirstFailedAt)
	if err != nil {
		return h, err
	}
	past := make([]pastCase, 0, len(cases)+len(imported))
	for _, pc := range cases {
		// A retry of the card on file collected it: the card that failed, as it was or as the
		// card updater refreshed it, charged by recoup or by Stripe. A new card from the
		// customer, or the customer paying, is the customer's doing.
		byRetry := pc.State == recoup.StateRecovered && (pc.RecoveredBy == recoup.ByRecoupRetry ||
			pc.RecoveredBy == recoup.ByCardUpdater || pc.RecoveredBy == recoup.ByStripeRetry)
		last := timing.PastUnpaid
		switch {
		case byRetry:
			last = timing.PastPaidByRetry
		case pc.State == recoup.StateRecovered:
			last = timing.PastPaidByCustomer
		}
		past = append(past, pastCase{at: pc.ResolvedAt, last: last, category: pc.Category})
	}
	past = append(past, imported...)
	// The latest first, as each list is; cases before imported invoices at the same time.
	slices.SortStableFunc(past, func(a, b pastCase) int { return b.at.Compare(a.at) })
	for i, pc := range past[:min(len(past), pastCases)] {
		if i == 0 {
			h.Last = pc.last
		}
		if pc.last == timing.PastPaidByRetry && pc.category == recoup.CategoryFunds {
			h.Paid = append(h.Paid, pc.at)
		}
	}
	return h, nil
}

// timingCase describes the case for the timing model: the card being retried, its latest
// decline, the customer's local clock and their earlier cases.
func timingCase(c recoup.Case, attempts []recoup.Attempt, messages []recoup.Message, past timing.History, p *policy.Policy, before time.Time) timing.Case {
	tc := timing.Case{Category: c.Category, Amount: c.Amount.Amount, Currency: c.Amount.Currency, FirstFailed: c.FirstFailedAt, Loc: p.Location, Past: past}
	if d := c.LastDecline; d != nil {
		tc.Code, tc.Brand, tc.Funding = d.Reason(), d.CardBrand, d.CardFunding
	}
	tc.Loc, tc.Cal = customerClock(c, p)
	tc.Country, _ = customerCountry(c)
	for _, a := range attempts {
		if !a.StartedAt.Before(before) {
			continue
		}
		tc.LastAttempt = later(tc.LastAttempt, a.StartedAt)
		if a.Status == recoup.AttemptDeclined {
			tc.Charged = append(tc.Charged, a.StartedAt)
		}
		if a.Source == recoup.SourceRecoup && a.Status != recoup.AttemptError {
			tc.Charges++
		}
	}
	for _, m := range messages {
		if m.Status == recoup.MessageSent && m.SentAt.Before(before) {
			tc.LastMessage = later(tc.LastMessage, m.SentAt)
		}
	}
	return tc
}

// timeRetry lets the timing model choose when to make a retry the policy asked for under the
// model strategy, within the window the policy gave. No time worth a charge turns the decision
// into waiting for the customer or the final action.
func (e *Engine) timeRetry(tx recoup.Tx, c recoup.Case, attempts []recoup.Attempt, d recoup.Decision, p *policy.Policy, now time.Time) (recoup.Decision, error) {
	until, err := time.Parse(time.RFC3339, d.Inputs["until"])
	if err != nil {
		return d, fmt.Errorf("case %d: model window: %w", c.ID, err)
	}
	left, _ := strconv.Atoi(d.Inputs["budget_left"])
	messages, err := tx.Messages(c.ID)
	if err != nil {
		return d, err
	}
	past, err := customerHistory(tx, c)
	if err != nil {
		return d, err
	}
	tc := timingCase(c, attempts, messages, past, p, now.Add(time.Nanosecond))
	pr, category := p.Retry.Model.Priors, string(c.Category) // not c itself: see startCharge
	o := timing.Options{From: d.At, Until: until, Remaining: left, Budget: p.Retry.MaxAttempts,
		DailyDiscount: p.Retry.Model.DailyDiscount, MinProbability: p.Retry.Model.MinProbability,
		FirstHour: p.Retry.Model.FirstHour, LastHour: p.Retry.Model.LastHour,
		Plausible: true,
		Keep:      func(since time.Duration) float64 { return pr.SoonKeep(category, since) },
		Lookahead: p.Retry.Model.Lookahead, Gap: p.Retry.MinGap, Narrow: 1 - p.Retry.Model.Exploration}
	if s, ok := d.Inputs["schedule_at"]; ok && p.Retry.Model.FirstRetryBound {
		if o.Bound, err = time.Parse(time.RFC3339, s); err != nil {
			return d, fmt.Errorf("case %d: schedule's first retry: %w", c.ID, err)
		}
	}
	e.learner.mu.Lock()
	defer e.learner.mu.Unlock()
	if err := e.learner.sync(tx, now, pr); err != nil {
		return d, fmt.Errorf("case %d: timing model: %w", c.ID, err)
	}
	// The draw depends only on the case, its plan and the time: a replay decides alike.
	rng := rand.New(rand.NewPCG(uint64(c.ID)<<20^uint64(c.PlanSeq), uint64(now.UnixNano())))
	tc.PayPrior = e.learner.model.PayPrior(tc.Country)
	ch := timing.Choose(e.learner.model, rng, tc, o)
	in := maps.Clone(d.Inputs)
	in["model_updates"] = strconv.FormatInt(e.learner.model.Updates, 10)
	in["candidates"] = strconv.Itoa(ch.Candidates)
	in["zone"] = tc.Loc.String()
	if !ch.Retry {
		deadline := c.FirstFailedAt.Add(p.CustomerWait)
		if now.Before(deadline) {
			return recoup.Decision{Kind: recoup.DecideWait, At: deadline, FinalAction: p.FinalAction, Inputs: in,
				Reason: ch.Reason + "; waiting for the customer until " + deadline.In(p.Location).Format("Mon 2 Jan 15:04 MST") + ", then " + string(p.FinalAction)}, nil
		}
		return recoup.Decision{Kind: recoup.DecideFinal, At: now, FinalAction: p.FinalAction, Inputs: in,
			Reason: ch.Reason + "; final action: " + string(p.FinalAction)}, nil
	}
	in["p"] = strconv.FormatFloat(ch.Mean, 'f', 3, 64)
	in["p_sampled"] = strconv.FormatFloat(ch.Sampled, 'f', 3, 64)
	in["p_earliest"] = strconv.FormatFloat(ch.MeanFrom, 'f', 3, 64)
	if ch.Evidence != "" {
		in["evidence"] = ch.Evidence
	}
	d.At, d.Inputs = ch.At, in
	d.Reason = fmt.Sprintf("charge %d of %d: %s", p.Retry.MaxAttempts-left+1, p.Retry.MaxAttempts, ch.Reason)
	return d, nil
}

// learn teaches the model the outcome of the charge a of the case c (recoup's, or Stripe's
// seen live: source stripe), as the case stood
// before the charge: only a charge of the card that failed, which reached the issuer (a charge
// of a new card says nothing about when the old one passes, and one Stripe never sent to the
// network, such as its own block of an excessive retry, nothing about when the issuer says yes).
// It runs last in its transaction, after any sync of the model, so no process folds an
// observation that may yet roll back.
func (e *Engine) learn(tx recoup.Tx, c recoup.Case, attempts []recoup.Attempt, a recoup.Attempt, p *policy.Policy) error {
	if a.Status == recoup.AttemptError || c.LastDecline == nil || c.NewPaymentMethodID != "" || !a.Decline.ReachedNetwork() ||
		a.Card == recoup.CardBackup || a.Card == recoup.CardRemainderSettled { // not a charge of the failed card
		return nil
	}
	messages, err := tx.Messages(c.ID)
	if err != nil {
		return err
	}
	past, err := customerHistory(tx, c)
	if err != nil {
		return err
	}
	tc := timingCase(c, attempts, messages, past, p, a.StartedAt)
	// The belief over pay schedules, behind a funds charge's features, starts from the prior.
	e.learner.mu.Lock()
	if e.learner.loaded {
		tc.PayPrior = e.learner.model.PayPrior(tc.Country)
	}
	e.learner.mu.Unlock()
	source := recoup.ObservedRecoup
	if a.Source == recoup.SourceStripe {
		source = recoup.ObservedStripe
	}
	return tx.AddObservation(&recoup.Observation{Model: ModelName, Kind: recoup.ObserveOutcome, Source: source,
		Features: timing.Observed(tc, a.StartedAt), Success: a.Status == recoup.AttemptSucceeded, At: a.FinishedAt})
}

// LoadModel returns the retry-timing model as the store holds it, folded from the public
// priors: its latest snapshot with every later observation folded in.
func LoadModel(ctx context.Context, store recoup.Store) (*timing.Model, error) {
	return LoadModelWith(ctx, store, timing.PublicPriors())
}

// LoadModelWith is LoadModel folded from priors pr (a policy's retry.model.priors).
func LoadModelWith(ctx context.Context, store recoup.Store, pr timing.Priors) (*timing.Model, error) {
	var l learner
	err := store.Tx(ctx, func(tx recoup.Tx) error { return l.sync(tx, time.Time{}, pr) })
	if err != nil {
		return nil, fmt.Errorf("load timing model: %w", err)
	}
	return l.model, nil
}

// ResetModel makes every engine sharing the store forget what the model learned: the next
// outcome starts again from the priors.
func ResetModel(ctx context.Context, store recoup.Store, now time.Time) error {
	err := store.Tx(ctx, func(tx recoup.Tx) error {
		return tx.AddObservation(&recoup.Observation{Model: ModelName, Kind: recoup.ObserveReset, At: now})
	})
	if err != nil {
		return fmt.Errorf("reset timing model: %w", err)
	}
	return nil
}
