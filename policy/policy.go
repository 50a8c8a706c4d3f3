// Package policy is the business's recovery policy: which retries to make and when, how long to
// wait for a customer who must act, and what to do when recovery gives up. It loads and validates
// the policy file (with the position of every problem), sorts a case into a segment by the
// segment's CEL rule, and turns the facts of a case into the next decision, as a pure function of
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

// Mode says whether recoup acts on what it decides.
type Mode string

// Modes.
const (
	// ModeAct charges, sends messages and runs final actions.
	ModeAct Mode = "act"
	// ModeObserve (shadow mode) decides and records what it would do, and watches what Stripe
	// does, without any charge, message or final action.
	ModeObserve Mode = "observe"
)

// DefaultSegment names the rules at the top of the file, which apply to every case no segment
// matches.
const DefaultSegment = "default"

// Policy is a validated policy. Build one with Load or Default. Its embedded Rules are the
// default segment's; For returns the view of one segment.
type Policy struct {
	// Version is a content hash of the policy file: every decision records it.
	Version string
	// Mode is ModeAct or ModeObserve.
	Mode Mode
	// Location is the customers' time zone when their own is not known.
	Location *time.Location
	// Segment is the name of the segment whose Rules this view holds (DefaultSegment for the
	// policy itself).
	Segment string
	Rules
	// Network bounds the card-network guard, which the engine applies after every decision;
	// zero fields take the guard's defaults.
	Network decline.Limits
	// Segments are tried in order; the first whose rule matches a case's facts wins.
	Segments []Segment
	// Source is the policy file as loaded, for display.
	Source []byte
	// Experiment is the file's experiment; nil when it has none.
	Experiment *Experiment

	// arm and control say which experiment arm this view (ForCase) is of.
	arm     string
	control bool
	// file is the file as decoded, name its name and opts what it was checked against: what
	// Promote writes and checks again.
	file *file
	name string
	opts Options
}

// Rules are what one segment does: its retries, its campaign, how long it waits and how it ends.
// A segment inherits every rule it does not set from the top of the file.
type Rules struct {
	Retry Retry
	// CustomerWait is how long, after the first failure, a case that needs the customer (new
	// card, authentication) stays open before the final action.
	CustomerWait time.Duration
	// GracePeriod is how long after the first failure the customer keeps access; 0: not set.
	// Decisions record when it ends, for the merchant's app.
	GracePeriod time.Duration
	FinalAction recoup.FinalAction
	// FinalAfter holds the final action until this long after the first failure (for example
	// mark_uncollectible 60 days past due); 0: as soon as recovery gives up.
	FinalAfter time.Duration
	// ManualReview makes the final action wait for an operator's approval.
	ManualReview bool
	Declines     DeclineRules
	Campaign     Campaign
	// PaymentPlan, when set, lets an operator replace an unpaid invoice by a plan of parts.
	PaymentPlan *PaymentPlan
	// Offers are what the card update page proposes besides a new card (pay now, payment
	// plan, cheaper plan, pause), in the page's order; empty: the page goes straight to the
	// card update, as before offers existed.
	Offers []recoup.Offer
	// Backup, when set, lets recoup charge another payment method the customer keeps on file
	// once the card that failed cannot be charged again (money.go).
	Backup *Backup
	// SettleRemainderBelow marks a partly paid invoice paid when what is left to pay is under
	// it (minor units of the invoice's currency); 0: never.
	SettleRemainderBelow int64
	// TeamAlert, when set, alerts the merchant's team about the cases it marks.
	TeamAlert *TeamAlert
}

// PaymentPlan splits an unpaid invoice into Parts invoices, Every apart, for invoices of at
// least Above (minor units).
type PaymentPlan struct {
	Above int64
	Parts int
	Every time.Duration
}

// DeclineRules override, per decline code, what the classifier would do.
type DeclineRules struct {
	// NeverRetry lists codes never retried on the same card: the case waits for the customer.
	NeverRetry []string
	// RetryWithin lists codes retried on the schedule only within a window after the first
	// failure, even when their category would wait for the customer (hard declines excepted).
	RetryWithin map[string]time.Duration
	// Schedule pins a fixed schedule (days after the first failure, at retry.hour) for a code,
	// in place of the retry strategy: e.g. a code whose best days the business knows.
	Schedule map[string][]int
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
	// MaxDuration stops retrying this long after the first failure; 0: no limit but the
	// schedule's (the model strategy then looks DefaultModelWindow ahead).
	MaxDuration time.Duration
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
	// Model tunes the model strategy.
	Model ModelSettings
	// Technical are the delays, after the latest charge, of rapid retries of a technical
	// failure (processing error, issuer unavailable); once they are spent the case is treated
	// as an issuer decline. Empty: technical failures follow the strategy like the others.
	Technical []time.Duration
	// LargeInvoices gives the account's largest invoices a larger budget and a lower least
	// probability worth a charge (retry.large_invoices); off unless set.
	LargeInvoices LargeInvoices
}

// Campaign is the sequence of messages sent to the customer while a case is open.
type Campaign struct {
	// Hour is the customer's local hour at which steps are sent.
	Hour int
	// QuietFrom and QuietTo are the customer's local quiet hours, [QuietFrom, QuietTo)
	// wrapping midnight: nothing is sent then. Equal: no quiet hours.
	QuietFrom, QuietTo int
	Steps              []Step
}

// Step is one message of a campaign.
type Step struct {
	// Day is the step's offset in days after the first failure (0: the day of the failure).
	Day      int
	Channel  string // email, sms or webhook
	Template string
	Tone     string
	// Categories limits the step to cases in these categories; empty: every case.
	Categories []recoup.Category
}

// Applies reports whether the step is for a case in category c.
func (s Step) Applies(c recoup.Category) bool {
	return len(s.Categories) == 0 || slices.Contains(s.Categories, c)
}

// For returns the policy as seen by a case of the named segment: the same policy with that
// segment's rules. An unknown name (a segment removed by a reload) gives the default rules, and
// the view's Segment says so.
func (p *Policy) For(segment string) *Policy {
	if segment == "" || segment == DefaultSegment {
		return p
	}
	for i := range p.Segments {
		if p.Segments[i].Name == segment {
			v := *p
			v.Segment, v.Rules = segment, p.Segments[i].Rules
			return &v
		}
	}
	return p
}

// Arm is the experiment arm this view (ForCase) is of; "" outside an experiment.
func (p *Policy) Arm() string { return p.arm }

// Observing reports whether the policy is in observe-only (shadow) mode.
func (p *Policy) Observing() bool { return p.Mode == ModeObserve }

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
