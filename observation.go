package recoup

import "time"

// ObservationKind says what an observation records.
type ObservationKind string

// Observation kinds.
const (
	ObserveOutcome ObservationKind = "outcome" // a retry's outcome, with the features it had
	ObserveReset   ObservationKind = "reset"   // an operator reset the model: forget everything before
)

// Observation is one thing a learned model learns from, kept in the store in the order it was
// recorded. Every process folds the same observations in the same order, so all of them hold
// the same model, and a restart loses nothing.
type Observation struct {
	ID       int64           `json:"id"`
	Model    string          `json:"model"`
	Kind     ObservationKind `json:"kind"`
	Features []string        `json:"features,omitempty"`
	Success  bool            `json:"success"`
	At       time.Time       `json:"at"`
	// Source is where the outcome came from: recoup's own charge (ObservedRecoup, the
	// default), Stripe's attempt seen live, or the imported history.
	Source string `json:"source,omitempty"`
}

// Observation sources (Observation.Source).
const (
	ObservedRecoup  = "recoup"
	ObservedStripe  = "stripe"
	ObservedHistory = "history"
)

// ModelSnapshot is a model's state after folding every observation up to UpTo, so that a
// process starting later need not fold them all again.
type ModelSnapshot struct {
	Model string    `json:"model"`
	UpTo  int64     `json:"up_to"`
	State []byte    `json:"state"`
	At    time.Time `json:"at"`
}

// Check reports an EINVALID error for an observation a store cannot keep (no model, an unknown
// kind or source), and gives one without a source recoup's own. Every store's AddObservation
// calls it.
func (o *Observation) Check() error {
	if o.Model == "" || (o.Kind != ObserveOutcome && o.Kind != ObserveReset) {
		return Errorf(EINVALID, "add observation: model %q, kind %q", o.Model, o.Kind)
	}
	switch o.Source {
	case "":
		o.Source = ObservedRecoup
	case ObservedRecoup, ObservedStripe, ObservedHistory:
	default:
		return Errorf(EINVALID, "add observation of %s: unknown source %q", o.Model, o.Source)
	}
	return nil
}
