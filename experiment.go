package recoup

import (
	"context"
	"time"
)

// An experiment of the policy file splits the customers between arms (policy.Experiment): a
// case records its arm when it opens, before any action, and keeps it. The store keeps each
// customer's first assignment, so the customer's later invoices land in the same arm whatever
// the weights become, and each experiment's state: an ended experiment assigns no new case.

// Assignment is a customer's arm in an experiment.
type Assignment struct {
	Experiment string    `json:"experiment"`
	CustomerID string    `json:"customer_id"`
	Arm        string    `json:"arm"`
	Share      float64   `json:"share"` // the arm's probability when the customer was assigned, 0 < Share <= 1
	AssignedAt time.Time `json:"assigned_at"`
	// Stratum is the group of customers whose results the allocation learned from when the
	// customer was assigned, and to which the customer's own results count: under optimize:
	// {by: time_zone} the time-zone group ("UTC-05:00"); "" when the experiment learns from all
	// customers together.
	Stratum string `json:"stratum,omitempty"`
}

// Validate reports an EINVALID error for an assignment the store cannot keep.
func (a *Assignment) Validate() error {
	switch {
	case a.Experiment == "" || a.CustomerID == "" || a.Arm == "":
		return Errorf(EINVALID, "an assignment needs an experiment, a customer and an arm")
	case !(a.Share > 0 && a.Share <= 1):
		return Errorf(EINVALID, "assignment of %s to arm %s: share %v is not a probability above 0", a.CustomerID, a.Arm, a.Share)
	case a.AssignedAt.IsZero():
		return Errorf(EINVALID, "assignment of %s to arm %s has no time", a.CustomerID, a.Arm)
	}
	return nil
}

// Experiment is an experiment's state in the store: known from its first assignment, ended
// when an operator ends it (and maybe promotes an arm).
type Experiment struct {
	Name        string    `json:"name"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	EndedBy     string    `json:"ended_by,omitempty"`
	PromotedArm string    `json:"promoted_arm,omitempty"`
}

// Ended reports whether the experiment is over: it assigns no new case.
func (e Experiment) Ended() bool { return !e.EndedAt.IsZero() }

// ExperimentTx keeps the experiments' assignments and states inside a store transaction, so
// that a case records its arm in the transaction that opens it. The sqlite and postgres
// transactions implement it; storetest.Run specifies it.
type ExperimentTx interface {
	// Assignment returns the customer's assignment in the experiment; ENOTFOUND if none.
	Assignment(experiment, customerID string) (Assignment, error)
	// InsertAssignment records a; ECONFLICT if the customer has an assignment in the
	// experiment already, which stands.
	InsertAssignment(a *Assignment) error
	// Experiment returns the experiment's state; ENOTFOUND if it is not known.
	Experiment(name string) (Experiment, error)
	// StartExperiment records the experiment as started at the time unless it is known;
	// recording it again changes nothing and is not an error.
	StartExperiment(name string, at time.Time) error
	// EndExperiment records the experiment's end, by whom, and the arm promoted ("": none);
	// ENOTFOUND if it is not known, ECONFLICT if it has ended already (the first end stands).
	EndExperiment(name string, at time.Time, by, promotedArm string) error
	// ArmOutcomes returns, for each arm of the experiment with a resolved case (recovered,
	// exhausted or closed) of a customer of the stratum (their assignment's Stratum), how many
	// of those cases are resolved and how many were recovered, in arm-name order. Cases still
	// open are not counted: their outcome is not known yet. The store keeps the counts as
	// counters updated as cases change (migration 00023), so the read does not grow with the
	// experiment; it is made when a new customer is assigned under optimize.
	ArmOutcomes(experiment, stratum string) ([]ArmOutcome, error)
}

// ArmOutcome is what an arm's resolved cases came to so far: the rewards optimize learns from.
type ArmOutcome struct {
	Arm string `json:"arm"`
	// Resolved counts the arm's cases that are recovered, exhausted or closed.
	Resolved int `json:"resolved"`
	// Recovered counts those whose invoice was paid (the whole amount: an invoice is paid or not).
	Recovered int `json:"recovered"`
}

// ExperimentCase is one case of an experiment as the results read it: the customer's
// assignment beside the case's outcome.
type ExperimentCase struct {
	CustomerID string    `json:"customer_id"`
	Arm        string    `json:"arm"`
	Share      float64   `json:"share"`
	AssignedAt time.Time `json:"assigned_at"`

	CaseID         int64       `json:"case_id"`
	Amount         Money       `json:"amount"` // the invoice's amount due (the amount paid, once recovered)
	State          CaseState   `json:"state"`
	Attempts       int         `json:"attempts"`        // charges recoup made
	StripeAttempts int         `json:"stripe_attempts"` // the invoice's attempt count as last seen, the first failure included
	Messages       int         `json:"messages"`        // campaign messages sent (confirmations not counted)
	FirstFailedAt  time.Time   `json:"first_failed_at"`
	ResolvedAt     time.Time   `json:"resolved_at,omitzero"`
	FinalAction    FinalAction `json:"final_action,omitempty"`
	ClosedReason   string      `json:"closed_reason,omitempty"`
}

// ExperimentResults reads what an experiment's report needs. The sqlite and postgres stores
// implement it; storetest.Run specifies it.
type ExperimentResults interface {
	// Experiments lists the experiments the store knows, the most recently started first.
	Experiments(ctx context.Context) ([]Experiment, error)
	// ExperimentCases returns the experiment's state and every case that carries it, each
	// with its customer's assignment, in assignment order (assigned_at, then customer, then
	// case), all read from one snapshot; ENOTFOUND if the experiment is not known.
	ExperimentCases(ctx context.Context, name string) (Experiment, []ExperimentCase, error)
}

// ClosedSubscriptionCancelled is the closed reason of a case whose subscription was cancelled
// outside recoup (by the customer, the merchant, or Stripe's own end of its retries).
const ClosedSubscriptionCancelled = "the subscription was cancelled"

// Lost reports whether the case ended its subscription: recoup's final action cancelled it,
// or it was cancelled outside recoup while the invoice was unpaid.
func (c ExperimentCase) Lost() bool {
	switch {
	case c.State == StateExhausted:
		return c.FinalAction == FinalCancelSubscription || c.FinalAction == FinalCancelAtPeriodEnd
	case c.State == StateClosed:
		return c.ClosedReason == ClosedSubscriptionCancelled
	}
	return false
}

// Resolved reports whether the case's outcome is final: recovered, closed, or exhausted (its
// final action ran).
func (c ExperimentCase) Resolved() bool {
	return c.State.Terminal() || c.State == StateExhausted
}
