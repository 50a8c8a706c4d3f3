package policy

// The policy file's schema, as decoded. Pointers tell "absent" from "zero". The structural check
// (check.go) walks these types by reflection, so a key is accepted exactly when a field here
// carries it; the JSON Schema (docs/policy.schema.json) is held to the same list by a test.

type file struct {
	Mode       *string `yaml:"mode"`
	Timezone   *string `yaml:"timezone"`
	RulesFile  `yaml:",inline"`
	Network    *network    `yaml:"network"`
	Segments   []segment   `yaml:"segments"`
	Experiment *experiment `yaml:"experiment"`
}

// experiment compares arms of the policy (and Stripe's own recovery) on the business's own
// customers: see experiment.go.
type experiment struct {
	Name     *string   `yaml:"name"`
	Unit     *string   `yaml:"unit"`
	Arms     []arm     `yaml:"arms"`
	Optimize *optimize `yaml:"optimize"`
}

// arm is one arm of an experiment: the control left to Stripe (stripe: true), or the policy
// with the arm's rules applied on top of each segment's.
type arm struct {
	Name      *string  `yaml:"name"`
	Stripe    *bool    `yaml:"stripe"`
	Fixed     *bool    `yaml:"fixed"`
	Weight    *float64 `yaml:"weight"`
	RulesFile `yaml:",inline"`
}

type optimize struct {
	Floor *float64 `yaml:"floor"` // percent
	By    *string  `yaml:"by"`    // "time_zone": learn apart per time-zone group
}

// RulesFile is the YAML form of Rules: the settings a segment may override. It is exported only
// because the YAML decoder fills embedded structs of exported types alone.
type RulesFile struct {
	Retry        *retry       `yaml:"retry"`
	CustomerWait *string      `yaml:"customer_wait"`
	GracePeriod  *string      `yaml:"grace_period"`
	FinalAction  *string      `yaml:"final_action"`
	FinalAfter   *string      `yaml:"final_after"`
	ManualReview *bool        `yaml:"manual_review"`
	Declines     *declines    `yaml:"declines"`
	Campaign     *campaign    `yaml:"campaign"`
	PaymentPlan  *paymentPlan `yaml:"payment_plan"`
	Offers       []string     `yaml:"offers"`
	// More paths to the money (money.go).
	Backup               *backupFile    `yaml:"backup_payment_method"`
	SettleRemainderBelow *int           `yaml:"settle_remainder_below"`
	TeamAlert            *teamAlertFile `yaml:"team_alert"`
}

type paymentPlan struct {
	Above *int    `yaml:"above"`
	Parts *int    `yaml:"parts"`
	Every *string `yaml:"every"`
}

type segment struct {
	Name      *string `yaml:"name"`
	When      *string `yaml:"when"`
	RulesFile `yaml:",inline"`
}

// network bounds the card-network guard; values above the networks' limits are refused.
type network struct {
	VisaReattempts30d *int `yaml:"visa_reattempts_30d"`
	CaseBudget        *int `yaml:"case_budget"`
}

type declines struct {
	NeverRetry  []string          `yaml:"never_retry"`
	RetryWithin map[string]string `yaml:"retry_within"`
	Schedule    map[string][]int  `yaml:"schedule"`
}

type campaign struct {
	Hour       *int   `yaml:"hour"`
	QuietHours []int  `yaml:"quiet_hours"`
	Steps      []step `yaml:"steps"`
}

type step struct {
	Day        *int     `yaml:"day"`
	After      *string  `yaml:"after"` // instead of day: whole days after the previous step
	Channel    *string  `yaml:"channel"`
	Template   *string  `yaml:"template"`
	Tone       *string  `yaml:"tone"`
	Categories []string `yaml:"categories"`
}

type retry struct {
	ScheduleDays []int   `yaml:"schedule_days"`
	Hour         *int    `yaml:"hour"`
	MaxAttempts  *int    `yaml:"max_attempts"`
	MaxDuration  *string `yaml:"max_duration"`
	MinGap       *string `yaml:"min_gap"`
	ErrorDelay   *string `yaml:"error_delay"`
	ErrorLimit   *int    `yaml:"error_limit"`
	// WaitForCustomer lists the categories whose declines are not retried on the same card.
	WaitForCustomer []string `yaml:"wait_for_customer"`
	Strategy        *string  `yaml:"strategy"`
	Technical       []string `yaml:"technical"`
	Model           *model   `yaml:"model"`
	// LargeInvoices gives the account's largest invoices more tries (policy/value.go).
	LargeInvoices *largeInvoices `yaml:"large_invoices"`
}
