// Package policy is the business's recovery policy: which retries to make and when, how long to
// wait for a customer who must act, and what to do when recovery gives up. It loads and validates
// the policy file and turns the facts of a case into the next decision, as a pure function of
// those facts and `now`.
package policy

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
)

// Policy is a validated policy. Build one with Load or Default.
type Policy struct {
	// Version is a content hash of the policy file: every decision records it.
	Version string
	// Location is the customers' time zone when their own is not known.
	Location *time.Location
	Retry    Retry
	// CustomerWait is how long, after the first failure, a case that needs the customer (new
	// card, authentication) stays open before the final action.
	CustomerWait time.Duration
	FinalAction  recoup.FinalAction
	Campaign     Campaign
	// Network bounds the card-network guard, which the engine applies after every decision;
	// zero fields take the guard's defaults.
	Network decline.Limits
	// Source is the policy file as loaded, for display.
	Source []byte
}

// Retry is a fixed retry schedule.
type Retry struct {
	// Days are the retries' offsets in days after the first failure, ascending.
	Days []int
	// Hour is the local hour of day (0-23) at which scheduled retries run.
	Hour int
	// MaxAttempts bounds recoup's charges on one case, counting only those that reached the
	// issuer (errors from Stripe itself do not count).
	MaxAttempts int
	// MinGap is the least time between two charges of the case, by anyone.
	MinGap time.Duration
	// ErrorDelay is the wait before re-trying a charge whose call failed (Stripe 5xx or
	// timeout); ErrorLimit such failures in a row fall back to the schedule.
	ErrorDelay time.Duration
	ErrorLimit int
	// WaitForCustomer lists the categories whose declines are not retried on the same card:
	// the case waits for a new payment method. Hard declines always wait, listed or not.
	WaitForCustomer []recoup.Category
	// Strategy is how retry times are chosen: StrategySchedule (Days at Hour) or StrategyModel
	// (the learned timing model picks each retry's time).
	Strategy string
	// MaxDuration bounds the model strategy: no retry of the same card later than this after
	// the first failure.
	MaxDuration time.Duration
	// Model tunes the model strategy.
	Model ModelSettings
	// Technical are the delays, after the latest charge, of rapid retries of a technical
	// failure (processing error, issuer unavailable); once they are spent the case is treated
	// as an issuer decline. Empty: technical failures follow the strategy like the others.
	Technical []time.Duration
}

// Campaign is the sequence of messages sent to the customer while a case is open.
type Campaign struct {
	// Hour is the customer's local hour at which steps are sent.
	Hour  int
	Steps []Step
}

// Step is one message of a campaign.
type Step struct {
	// Day is the step's offset in days after the first failure (0: the day of the failure).
	Day      int
	Channel  string // email or webhook
	Template string
	Tone     string
	// Categories limits the step to cases in these categories; empty: every case.
	Categories []recoup.Category
}

// Applies reports whether the step is for a case in category c.
func (s Step) Applies(c recoup.Category) bool {
	return len(s.Categories) == 0 || slices.Contains(s.Categories, c)
}

// waitsForCustomer reports whether a verdict that forbids retrying the same card makes the case
// wait for the customer under this policy. A hard decline always does.
func (p *Policy) waitsForCustomer(c recoup.Category) bool {
	return c == recoup.CategoryHard || slices.Contains(p.Retry.WaitForCustomer, c)
}

//go:embed default.yaml
var defaultYAML []byte

// Default returns the built-in policy, used when no policy file is configured.
func Default() *Policy {
	p, err := Parse("default.yaml", defaultYAML)
	if err != nil {
		panic("built-in policy is invalid: " + err.Error()) // a test guards this
	}
	return p
}

func version(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:6])
}
