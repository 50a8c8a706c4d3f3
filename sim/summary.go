package sim

import "github.com/recoup-hq/recoup"

// Summary is the measured result of one run: one policy, one world, one seed. Every rate is over
// all failed invoices, by count and by amount. Amounts are in major units of Currency.
// Percentages are 0-100. docs/simulator.md defines each field.
type Summary struct {
	Policy        string `json:"policy"`         // the policy's name (its file name without extension)
	PolicyVersion string `json:"policy_version"` // the policy file's content hash
	World         string `json:"world"`
	Seed          uint64 `json:"seed"`
	Months        int    `json:"months"`
	Currency      string `json:"currency"`

	FailedInvoices     int     `json:"failed_invoices"`
	FailedAmount       float64 `json:"failed_amount"`
	RecoveredInvoices  int     `json:"recovered_invoices"`
	RecoveredAmount    float64 `json:"recovered_amount"`
	RecoveredCountPct  float64 `json:"recovered_count_pct"`
	RecoveredAmountPct float64 `json:"recovered_amount_pct"`

	// Attempts counts recoup's charges (calls to pay an invoice); AttemptsPerRecovery divides
	// them by the recovered invoices (by any mechanism); RetrySuccessRate is the percentage of
	// charges that collected the invoice.
	Attempts            int     `json:"attempts"`
	AttemptsPerRecovery float64 `json:"attempts_per_recovery"`
	RetrySuccessRate    float64 `json:"retry_success_rate"`

	// With Stripe's own recovery played (Run.StripeRecovery): StripeAttempts counts Stripe's
	// automatic retries (not in Attempts), StripeRetrySuccessRate the percentage of them that
	// collected the invoice, StripeEmails Stripe's failed-payment emails (not in MessagesSent).
	// Absent when Stripe's recovery is off.
	StripeAttempts         int     `json:"stripe_attempts,omitempty"`
	StripeRetrySuccessRate float64 `json:"stripe_retry_success_rate,omitempty"`
	StripeEmails           int     `json:"stripe_emails,omitempty"`
	// StripeRecovery: the world played Stripe's own recovery, because it was asked
	// (Run.StripeRecovery) or because the policy's experiment has a control arm left to Stripe.
	StripeRecovery bool `json:"stripe_recovery,omitempty"`

	// History is the account's past the run imported before its first failure (Run.History);
	// absent without.
	History *HistoryStat `json:"history,omitempty"`

	MessagesSent        int     `json:"messages_sent"`
	MessagesPerRecovery float64 `json:"messages_per_recovery"`

	MedianDaysToRecovery float64 `json:"median_days_to_recovery"`
	P90DaysToRecovery    float64 `json:"p90_days_to_recovery"`

	NetworkViolations int     `json:"network_violations"`
	NetworkFees       float64 `json:"network_fees"`
	// ViolationsByRule counts the violations by the network rule broken.
	ViolationsByRule         map[string]int `json:"violations_by_rule"`
	CustomersLostToMessaging int            `json:"customers_lost_to_messaging"`

	// The oracle: what the best compliant policy could have collected, in all and by retries
	// alone, and this policy's share of it. The retry-only part is what charges collected
	// without the customer: mechanisms retry, card_updater and stripe_retry.
	OracleRecoveredAmountPct      float64 `json:"oracle_recovered_amount_pct"`
	RatioToOracle                 float64 `json:"ratio_to_oracle"`
	RetryRecoveredAmountPct       float64 `json:"retry_recovered_amount_pct"`
	OracleRetryRecoveredAmountPct float64 `json:"oracle_retry_recovered_amount_pct"`
	RatioToOracleRetry            float64 `json:"ratio_to_oracle_retry"`
	// OracleBeaten counts invoices this policy collected that the oracle called uncollectable:
	// it must be 0, or the world's oracle is wrong.
	OracleBeaten int `json:"oracle_beaten"`
	// JobErrors counts engine jobs that returned an error (each retry counts); UnsettledAtEnd
	// counts invoices the world never resolved (counted as unrecovered). Both should be 0.
	JobErrors      int `json:"job_errors"`
	UnsettledAtEnd int `json:"unsettled_at_end"`

	Outcomes    map[Result]int              `json:"outcomes"`
	ByMechanism map[Mechanism]MechanismStat `json:"by_mechanism"`
	Categories  []CategoryStat              `json:"categories"`
	// Curve[d] is the percentage of the failed amount collected within d days of the first
	// failure, d = 0 .. the observation window in days.
	Curve []float64 `json:"curve"`
	// Monthly is the recovery of the invoices that first failed in each month of the run, in
	// order: the learning curve of a policy that learns.
	Monthly []MonthStat `json:"monthly"`
	// Experiment is the policy's experiment measured on this run (absent without one).
	Experiment *ExperimentResult `json:"experiment,omitempty"`
}

// MechanismStat is what one mechanism collected.
type MechanismStat struct {
	Invoices  int     `json:"invoices"`
	Amount    float64 `json:"amount"`
	AmountPct float64 `json:"amount_pct"` // of the failed amount
}

// CategoryStat is the recovery of the invoices whose first failure had one true category.
type CategoryStat struct {
	Category           recoup.Category `json:"category"`
	FailedInvoices     int             `json:"failed_invoices"`
	FailedAmount       float64         `json:"failed_amount"`
	RecoveredCountPct  float64         `json:"recovered_count_pct"`
	RecoveredAmountPct float64         `json:"recovered_amount_pct"`
	Attempts           int             `json:"attempts"`
	MessagesSent       int             `json:"messages_sent"`
	OracleAmountPct    float64         `json:"oracle_amount_pct"`
}

// MonthStat is the recovery of the invoices that first failed in one month.
type MonthStat struct {
	Month              string  `json:"month"` // YYYY-MM
	FailedInvoices     int     `json:"failed_invoices"`
	RecoveredAmountPct float64 `json:"recovered_amount_pct"`
	// RecoveredAmountSE is the standard error of RecoveredAmountPct, in percentage points, from
	// which invoices happened to fail that month (a few large ones hold most of the amount):
	// two months' figures, or a month's and the run's, differ by about this much with no change
	// in the policy.
	RecoveredAmountSE float64 `json:"recovered_amount_se"`
	OracleAmountPct   float64 `json:"oracle_amount_pct"`
	// Attempts are recoup's charges of these invoices, RetrySuccessRate the share that paid.
	Attempts         int     `json:"attempts"`
	RetrySuccessRate float64 `json:"retry_success_rate"`
}

// HistoryStat is the past a run imported before its first failure: the world played the Days
// before the run with Stripe's own recovery alone, and recoup's history import read Stripe's
// listings of it.
type HistoryStat struct {
	Days int `json:"days"`
	// ListedInvoices and ListedCharges are what the listings held; Invoices and Charges what the
	// import stored (the failed invoices, every charge), Observations the outcomes the timing
	// model learned from them.
	ListedInvoices int `json:"listed_invoices"`
	ListedCharges  int `json:"listed_charges"`
	Invoices       int `json:"invoices"`
	Charges        int `json:"charges"`
	Observations   int `json:"observations"`
}

func (h *HistoryStat) add(o HistoryStat) {
	h.ListedInvoices += o.ListedInvoices
	h.ListedCharges += o.ListedCharges
	h.Invoices += o.Invoices
	h.Charges += o.Charges
	h.Observations += o.Observations
}
