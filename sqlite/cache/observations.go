package cache

import (
	"cmp"
	"slices"
	"sync"

	"github.com/recoup-hq/recoup"
)

// The observation log. A learner reads the observations added since it last read (each charge's
// outcome, read back by the next retry decision), and this read was 5% of the simulator's CPU:
// a query per decision, and each row's features decoded from JSON. On a scratch database, the
// only writer of its file, every observation added goes through AddObservation, so the store
// keeps those committed since it first looked, decoded, and answers a read of what follows
// them from memory (the transaction's own uncommitted ones after them). A read of anything
// older goes to the table as before.

// Observations holds, per model, every committed observation with an ID above from. A nil
// *Observations holds nothing.
type Observations struct {
	mu      sync.Mutex
	loaded  bool
	stopped bool  // an observation committed that the log could not hold: it answers nothing more
	from    int64 // the largest ID in the table when the log began, then the largest read past
	obs     []recoup.Observation
}

// Since returns the committed observations of model after the ID and then pending (the
// transaction's own, in ID order), at most limit; ok is false when the log does not hold
// everything after the ID. largestID reads the table's largest ID, called the first time.
func (l *Observations) Since(model string, after int64, limit int, pending []recoup.Observation, largestID func() (int64, error)) (out []recoup.Observation, ok bool, err error) {
	if l == nil {
		return nil, false, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded {
		if l.from, err = largestID(); err != nil {
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

// Committed appends a committed transaction's observations, in ID order; unlogged says it
// added one the log could not hold.
func (l *Observations) Committed(obs []recoup.Observation, unlogged bool) {
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
