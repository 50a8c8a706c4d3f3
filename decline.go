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
	OutcomeType        string   `json:"outcome_type,omitempty"` // issuer_declined, blocked, invalid, ...
	Message            string   `json:"message,omitempty"`
	CardBrand          string   `json:"card_brand,omitempty"`   // visa, mastercard, amex, ...
	CardFunding        string   `json:"card_funding,omitempty"` // credit, debit, prepaid, unknown
	CardCountry        string   `json:"card_country,omitempty"` // the issuing country, ISO 3166-1 alpha-2
	Category           Category `json:"category,omitempty"`     // set by the classifier
}

// Reason returns the most specific code available, for display.
func (d *Decline) Reason() string {
	switch {
	case d == nil:
		return ""
	case d.DeclineCode != "":
		return d.DeclineCode
	case d.Code != "":
		return d.Code
	case d.OutcomeType != "":
		return d.OutcomeType
	}
	return "unknown"
}
