package recoup

import (
	"encoding/json"
	"time"
)

// EntryKind is the kind of a timeline entry.
type EntryKind string

// Timeline entry kinds.
const (
	EntryEvent    EntryKind = "event"    // something observed: a Stripe event, a backfill, a reconciliation
	EntryDecision EntryKind = "decision" // what the engine decided, with its reason and inputs
	EntryAttempt  EntryKind = "attempt"  // a charge attempt started or finished
	EntryState    EntryKind = "state"    // a state transition
	EntryAction   EntryKind = "action"   // a final action or another call with effects
	EntryMessage  EntryKind = "message"  // a message to the customer sent, skipped or failed
)

// TimelineEntry is one line of a case's append-only history.
type TimelineEntry struct {
	ID      int64           `json:"id"`
	CaseID  int64           `json:"case_id"`
	At      time.Time       `json:"at"`
	Kind    EntryKind       `json:"kind"`
	Summary string          `json:"summary"`          // one human-readable sentence
	Detail  json.RawMessage `json:"detail,omitempty"` // the inputs and data behind it, as JSON

	// encoded is Detail as SetDetail encoded it: valid JSON that Validate need not scan again
	// while Detail is still that slice.
	encoded json.RawMessage
}

// JSONAppender is a value that writes itself as encoding/json would: valid JSON, trusted as such
// by SetDetail (each implementation's test compares it with encoding/json).
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

// SetDetail sets the entry's detail to v encoded as encoding/json encodes it, the commonest
// kinds (a decision, an attempt, a map of plain values, a JSONAppender) without reflection.
func (e *TimelineEntry) SetDetail(v any) error {
	var b []byte
	var err error
	switch d := v.(type) {
	case Decision:
		b, err = d.MarshalJSON()
	case Attempt:
		b, err = d.MarshalJSON()
	case map[string]string:
		b = AppendJSONStrings(make([]byte, 0, 128), d)
	case map[string]any:
		var ok bool
		if b, ok = appendJSONFlat(make([]byte, 0, 128), d); !ok {
			b, err = json.Marshal(v)
		}
	case JSONAppender:
		b = d.AppendJSON(make([]byte, 0, 64))
	default:
		b, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	e.Detail, e.encoded = b, b
	return nil
}

// detailEncoded reports whether Detail is the slice SetDetail encoded.
func (e *TimelineEntry) detailEncoded() bool {
	return len(e.Detail) > 0 && len(e.Detail) == len(e.encoded) && &e.Detail[0] == &e.encoded[0]
}

// DecisionKind is what a decision chose.
type DecisionKind string

// Decision kinds.
const (
	DecideRetry   DecisionKind = "retry"             // charge again at At
	DecideWait    DecisionKind = "wait_for_customer" // no retry on this card; wait for a new one until At, then the final action
	DecideFinal   DecisionKind = "final_action"      // run the final action at At
	DecideNothing DecisionKind = "nothing"           // nothing to do (the case is resolved)
)

// Decision is a choice the engine made, with a reason a person can read and the inputs that
// produced it.
type Decision struct {
	Kind        DecisionKind      `json:"kind"`
	At          time.Time         `json:"at"`
	Reason      string            `json:"reason"`
	FinalAction FinalAction       `json:"final_action,omitempty"`
	Inputs      map[string]string `json:"inputs,omitempty"`
}

// FinalAction is what happens to an invoice and its subscription when recovery gives up.
type FinalAction string

// Final actions.
const (
	FinalCancelSubscription FinalAction = "cancel_subscription" // cancel now
	FinalCancelAtPeriodEnd  FinalAction = "cancel_at_period_end"
	FinalMarkUncollectible  FinalAction = "mark_uncollectible"
	FinalPauseCollection    FinalAction = "pause_collection" // keep the subscription, stop invoicing (behavior: void)
	FinalLeavePastDue       FinalAction = "leave_past_due"
)

// FinalActions lists every final action.
var FinalActions = []FinalAction{FinalLeavePastDue, FinalCancelSubscription, FinalCancelAtPeriodEnd, FinalMarkUncollectible, FinalPauseCollection}

// Valid reports whether a is a known final action.
func (a FinalAction) Valid() bool {
	for _, f := range FinalActions {
		if a == f {
			return true
		}
	}
	return false
}

// Validate reports an EINVALID error if the entry cannot be stored: it has a kind, and its
// detail, when present, is valid JSON.
func (e *TimelineEntry) Validate() error {
	if e.Kind == "" {
		return Errorf(EINVALID, "timeline entry has no kind")
	}
	if len(e.Detail) > 0 && !e.detailEncoded() && !json.Valid(e.Detail) {
		return Errorf(EINVALID, "timeline entry detail is not valid JSON")
	}
	return nil
}
