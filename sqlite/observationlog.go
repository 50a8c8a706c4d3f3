package sqlite

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/recoup-hq/recoup"
)

// The observation log. A learner reads the observations added since it last read (each charge's
// outcome, read back by the next retry decision), and this read was 5% of the simulator's CPU:
// a query per decision, and each row's features decoded from JSON. On a scratch database, the
// only writer of its file, every observation added goes through AddObservation, so the store
// keeps those committed since it first looked, decoded, and answers a read of what follows
// them from memory (the transaction's own uncommitted ones after them). A read of anything
// older goes to the table as before.

// observationLog holds, per model, every committed observation with an ID above from. It is
// safe for concurrent use.
type observationLog struct {
	mu      sync.Mutex
	loaded  bool
	stopped bool  // an observation committed that the log could not hold: it answers nothing more
	from    int64 // the largest ID in the table when the log began, then the largest read past
	obs     []recoup.Observation
}

// since returns the committed observations of model after the ID and then pending (the
// transaction's own, in ID order), at most limit; ok is false when the log does not hold
// everything after the ID. q reads the table's largest ID the first time.
func (l *observationLog) since(ctx context.Context, q querier, model string, after int64, limit int, pending []recoup.Observation) (out []recoup.Observation, ok bool, err error) {
	if l == nil {
		return nil, false, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded {
		if err := q.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM model_observations`).Scan(&l.from); err != nil {
			return nil, false, err
		}
		l.loaded = true
	}
	if l.stopped || after < l.from {
		return nil, false, nil
	}
	// Nothing reads below after again through the log: drop what it has read.
	i, _ := slices.BinarySearchFunc(l.obs, after, func(o recoup.Observation, id int64) int { return cmp.Compare(o.ID, id) })
	if i < len(l.obs) && l.obs[i].ID == after {
		i++
	}
	l.obs, l.from = slices.Delete(l.obs, 0, i), after
	out = []recoup.Observation{}
	for _, o := range append(l.obs[:len(l.obs):len(l.obs)], pending...) {
		if len(out) == limit {
			break
		}
		if o.Model == model && o.ID > after {
			o.Features = slices.Clone(o.Features)
			out = append(out, o)
		}
	}
	return out, true, nil
}

// committed appends a committed transaction's observations, in ID order; unlogged says it
// added one the log could not hold.
func (l *observationLog) committed(obs []recoup.Observation, unlogged bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case unlogged:
		l.stopped, l.obs = true, nil
	case l.loaded && !l.stopped:
		l.obs = append(l.obs, obs...)
	}
}

// loggedObservation returns o as a read of its row returns it, and whether it can: features
// that are valid UTF-8 decode from their JSON as they were.
func loggedObservation(o *recoup.Observation) (recoup.Observation, bool) {
	for _, f := range o.Features {
		if !utf8.ValidString(f) {
			return recoup.Observation{}, false
		}
	}
	c := *o
	c.Features = slices.Clone(nonNil(o.Features))
	c.At = storedTime(o.At)
	return c, true
}
