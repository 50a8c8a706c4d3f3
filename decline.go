package recoup

// Category is the recovery category of a failed payment: what it takes to get the money.
type Category string

// Recovery categories.
const (
	CategoryUnknown        Category = "unknown"        // not classified yet
	CategoryTechnical      Category = "technical"      // a processing or network failure; clears in minutes or hours
	CategoryFunds          Category = "funds"          // not enough money or credit now; clears when money arrives
	CategoryIssuerSoft     Category = "issuer_soft"    // a generic issuer decline; a few spaced retries may pass
	CategoryCustomerFix    Category = "customer_fix"   // card data is wrong or expired; the customer or an updater must change the card
	CategoryAuthentication Category = "authentication" // the issuer wants the customer to authenticate (3DS/SCA)
	CategoryHard           Category = "hard"           // the issuer will never approve this credential
)

// Categories lists the recovery categories a decline can be classified in.
var Categories = []Category{CategoryTechnical, CategoryFunds, CategoryIssuerSoft, CategoryCustomerFix, CategoryAuthentication, CategoryHard}

// Decline is why a charge failed, as Stripe reported it on the error or the charge outcome.
type Decline struct {
	Code               string   `json:"code,omitempty"`         // error code: card_declined, expired_card, processing_error, ...
	DeclineCode        string   `json:"decline_code,omitempty"` // issuer's reason: insufficient_funds, do_not_honor, ...
	AdviceCode         string   `json:"advice_code,omitempty"`  // Stripe's advice: try_again_later, do_not_try_again, confirm_card_data
	NetworkAdviceCode  string   `json:"network_advice_code,omitempty"`
	NetworkDeclineCode string   `json:"network_decline_code,omitempty"`
	OutcomeType        string   `json:"outcome_type,omitempty"`   // issuer_declined, blocked, invalid, ...
	OutcomeReason      string   `json:"outcome_reason,omitempty"` // charge.outcome.reason: previously_declined_do_not_retry, highest_risk_level, ...
	NetworkStatus      string   `json:"network_status,omitempty"` // charge.outcome.network_status: declined_by_network, not_sent_to_network, ...
	Message            string   `json:"message,omitempty"`
	CardBrand          string   `json:"card_brand,omitempty"`   // visa, mastercard, amex, ...
	CardFunding        string   `json:"card_funding,omitempty"` // credit, debit, prepaid, unknown
	CardCountry        string   `json:"card_country,omitempty"` // the issuing country, ISO 3166-1 alpha-2
	Category           Category `json:"category,omitempty"`     // set by the classifier
}

// What Stripe reports on charge.outcome when it refuses to send a charge to the card network.
const (
	// NetworkNotSent is outcome.network_status for a charge Stripe never sent to the network:
	// blocked by Stripe or Radar, or refused as invalid.
	NetworkNotSent = "not_sent_to_network"
	// ReasonRetryBlocked is outcome.reason when Stripe blocked a Visa retry it judged excessive:
	// the card was declined before and Visa's rules forbid retrying it
	// (support.stripe.com/questions/payment-blocked-due-to-excessive-retries).
	ReasonRetryBlocked = "previously_declined_do_not_retry"
)

// RetryBlocked reports whether Stripe blocked the charge itself as an excessive retry of a card
// declined before: it never reached the card network, and retrying the card is blocked again.
func (d *Decline) RetryBlocked() bool {
	return d != nil && d.OutcomeReason == ReasonRetryBlocked
}

// ReachedNetwork reports whether the charge may have reached the card network: only a charge
// Stripe says it did not send (or an excessive-retry block, whatever else is filled in) did not.
func (d *Decline) ReachedNetwork() bool {
	return d == nil || (d.NetworkStatus != NetworkNotSent && !d.RetryBlocked())
}

// Reason returns the most specific code available, for display. A retry Stripe blocked shows
// its outcome reason: its decline code (generic_decline) is not the issuer's.
func (d *Decline) Reason() string {
	switch {
	case d == nil:
		return ""
	case d.RetryBlocked():
		return d.OutcomeReason
	case d.DeclineCode != "":
		return d.DeclineCode
	case d.Code != "":
		return d.Code
	case d.OutcomeType != "":
		return d.OutcomeType
	}
	return "unknown"
}
