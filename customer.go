package recoup

import "time"

// Customer is what recoup reads of a Stripe customer to write to them: a name to greet them by
// and the languages they prefer. Nothing of it is stored beyond the messages it helps write.
type Customer struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Phone is the customer's phone in E.164 (+15551234567), for the sms channel; "" if none.
	Phone string `json:"phone,omitempty"`
	// SMSConsent says the merchant recorded the customer's consent to SMS (Stripe metadata
	// recoup_sms_consent: yes or true). A STOP texted by the person outranks it.
	SMSConsent bool     `json:"sms_consent,omitempty"`
	Locales    []string `json:"locales,omitempty"` // Stripe's preferred_locales, most preferred first
	// Created is when the customer was created in Stripe: their tenure, for personalization.
	Created time.Time `json:"created,omitzero"`
	// Country and Region are from the customer's address (ISO country, state or province),
	// empty when unknown: notices outside a case are sent in the customer's local time.
	Country string `json:"country,omitempty"`
	Region  string `json:"region,omitempty"`
}
