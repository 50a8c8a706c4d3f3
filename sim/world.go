package sim

import (
	"math/rand/v2"
	"time"

	"github.com/recoup-hq/recoup"
)

// World plays Stripe, the card networks, the issuers and the customers for one simulation run.
//
// The engine reaches a world only through the ports it implements (recoup.Gateway: read an
// invoice, pay it, cancel a subscription, mark an invoice uncollectible; recoup.Notifier: deliver
// a message; optionally recoup.TakeoverGateway: turn Stripe's automatic collection of one
// invoice off or on) and through the Stripe events the world emits with Env.Emit. It sees only what
// Stripe would show it: invoices, their latest payment with its decline, advice and network
// codes, card brand, funding and country, amounts, customer email and country, timestamps. A
// world's hidden state (balances, paydays, the customer's mood) stays inside it.
//
// A world is driven by one goroutine: its methods are never called concurrently, and every
// call happens at Env.Now(). For a run to be reproducible, a world draws all its randomness from
// Env.Rand (or from sources seeded from it) and never lets map iteration order decide anything.
//
// The world's duties to the measurement are:
//   - Env.Failed once per invoice, when its first payment fails, before the engine hears of it;
//   - Env.Resolved exactly once per invoice, when its fate is sealed (paid, lost, or given up at
//     the end of its observation window), with the oracle's verdict for it;
//   - Env.Violation for every charge that broke a card-network rule, as the network would count
//     it, whatever the engine believes (Stripe's own retries included);
//   - with Config.StripeRecovery, Env.StripeAttempt for every automatic retry Stripe makes and
//     Env.StripeEmail for every failed-payment email Stripe sends.
//
// Worlds are registered by name with Register, usually from an init function in the world's
// own file.
type World interface {
	recoup.Gateway
	recoup.Notifier
	// Start is called once, before anything else. It schedules the world's own happenings (the
	// invoices' first failures, customers acting on their own) with env.At.
	Start(env Env) error
}

// Env is the simulation as a world sees it.
type Env interface {
	// Now is the virtual time.
	Now() time.Time
	// Rand is the run's random source, seeded from the run's seed. It belongs to the world:
	// nothing else draws from it, so the world's draws do not depend on the policy.
	Rand() *rand.Rand
	// Config is the run's configuration.
	Config() Config
	// At runs fn at virtual time t (at Now if t is in the past). Happenings at the same time run
	// in the order they were scheduled.
	At(t time.Time, fn func())
	// Emit delivers a Stripe event to the engine now, as a verified webhook would.
	Emit(ev recoup.Event)
	// Failed records an invoice whose first payment just failed.
	Failed(f Failure)
	// Resolved records an invoice's final outcome. Call it once per invoice.
	Resolved(o Outcome)
	// Violation records a charge that broke a card-network rule.
	Violation(v Violation)
	// StripeAttempt records an automatic retry Stripe made (Config.StripeRecovery), paid or not.
	StripeAttempt(invoiceID string, paid bool)
	// StripeEmail records a failed-payment email Stripe sent (Config.StripeRecovery).
	StripeEmail(invoiceID string)
	// Clicked records that the customer opened the card update link of recoup's message m.
	Clicked(m recoup.Message)
}

// Failure is an invoice whose renewal payment failed: the denominator of every rate.
type Failure struct {
	InvoiceID string
	Amount    recoup.Money
	// Category is the true recovery category of the failure, as the world knows it (for the
	// per-category breakdown; the engine classifies the decline codes on its own).
	Category recoup.Category
	At       time.Time
}

// Result is how an invoice's recovery ended.
type Result string

// Results.
const (
	Recovered   Result = "recovered"   // the invoice was paid
	Lost        Result = "lost"        // the customer cancelled, or the merchant's final action ended it
	Unrecovered Result = "unrecovered" // still unpaid at the end of its observation window
)

// Mechanism is what brought the money in, as the world knows it. The names are recoup's own
// (recoup.RecoveredBy), so that a run's by_mechanism reads like the dashboard's "recovered by",
// which is what recoup recorded; the live demo's test holds the two equal.
type Mechanism string

// Mechanisms. A world plays no payment outside Stripe; it plays Stripe's own retries only with
// Config.StripeRecovery.
const (
	ByRetry           = Mechanism(recoup.ByRecoupRetry)     // a charge recoup made on the card that had failed
	ByCustomerNewCard = Mechanism(recoup.ByCustomerNewCard) // a charge recoup made on a card the customer supplied
	ByCardUpdater     = Mechanism(recoup.ByCardUpdater)     // a charge recoup made on a card the card updater refreshed
	ByCustomerPaid    = Mechanism(recoup.ByCustomerPaid)    // the customer paid the invoice themselves (hosted page), or Stripe's retry charged the card they supplied
	ByStripeRetry     = Mechanism(recoup.ByStripeRetry)     // Stripe's own retry of the card that failed, or of that card refreshed by the card updater
	ByBackupMethod    = Mechanism(recoup.ByBackupMethod)    // a charge recoup made on another payment method the customer keeps on file
)

// retryOnly reports whether the mechanism needs nothing from the customer: a charge (recoup's
// or Stripe's) on the card that failed, or on the card the updater refreshed.
func (m Mechanism) retryOnly() bool { return m == ByRetry || m == ByCardUpdater || m == ByStripeRetry }

// Outcome is an invoice's fate.
type Outcome struct {
	InvoiceID string
	Result    Result
	By        Mechanism // when Recovered
	Amount    int64     // the amount collected, in minor units of the failure's currency
	At        time.Time
	// LostToMessaging: the customer cancelled because of the messages they received.
	LostToMessaging bool
	Oracle          Oracle
}

// Oracle is the best outcome any policy could have reached for one invoice while obeying the
// card-network rules, computed by the world from its hidden state.
type Oracle struct {
	// Recoverable: some compliant sequence of retries and messages collects the invoice.
	Recoverable bool
	// ByRetry: recoup's charges alone collect it, without any message or customer action: on
	// the card that failed, or on the card the card updater refreshed.
	ByRetry bool
	// At is the earliest time at which it can be collected, when Recoverable.
	At time.Time
}

// Violation is a charge that broke a card-network rule.
type Violation struct {
	InvoiceID string
	Rule      string // e.g. "visa: more than 15 reattempts in 30 days"
	Fee       int64  // the network's fine, in minor units of the failure's currency
}

// Config is a run's configuration, as the world sees it.
type Config struct {
	// Invoices is how many failed invoices the world produces.
	Invoices int
	// Start and End bound the period over which first failures happen.
	Start, End time.Time
	// Window is how long after its first failure an invoice is followed before the world gives
	// up on it (Unrecovered).
	Window time.Duration
	Seed   uint64
	// IDPrefix starts the number in every id the world makes (invoices, customers,
	// subscriptions, payments, events), so that the ids of worlds played one after another on
	// one store (a demo resumed on its database) never collide. Empty for a run on its own.
	IDPrefix string
	// StripeRecovery: the account keeps Stripe's own recovery on (Smart Retries, and "send
	// emails when card payments fail"), and the world plays it for every invoice whose
	// automatic collection (auto_advance) is on. Off: Stripe neither retries nor emails, as in
	// the set-up the README recommends (docs/simulator.md, "Stripe's own recovery").
	StripeRecovery bool
}
