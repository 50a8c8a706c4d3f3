package recoup

import (
	"context"
	"strings"
)

// Backup payment methods. When the card an invoice failed on cannot be charged again (a hard
// or customer-fix decline) or its retries are spent, recoup can charge another payment method
// the customer already keeps on file with Stripe (a second card, a bank debit), when the
// policy allows it (policy.Rules.Backup). Each method is tried at most once per case; once
// none is left the case goes on as it would have without (Case.Backup).

// SavedMethod is a payment method the customer keeps on file with Stripe, as Stripe lists it.
// It carries no card number: only what tells methods apart and describes them to people.
type SavedMethod struct {
	ID   string `json:"id"`
	Type string `json:"type"` // Stripe's payment method type: card, sepa_debit, us_bank_account, ...
	// Brand and Last4 describe a card (a bank debit: the bank's name and the account's last 4).
	Brand string `json:"brand,omitempty"`
	Last4 string `json:"last4,omitempty"`
	// Fingerprint is Stripe's fingerprint of the card or account: two methods with the same
	// one are the same card (a card attached twice).
	Fingerprint string `json:"fingerprint,omitempty"`
	// ExpYear and ExpMonth are a card's expiry; zero for other types.
	ExpYear  int `json:"exp_year,omitempty"`
	ExpMonth int `json:"exp_month,omitempty"`
}

// Words describe the method for people: "visa ending 4242", "sepa_debit ending 3000".
func (m SavedMethod) Words() string {
	kind := m.Brand
	if kind == "" {
		kind = strings.ReplaceAll(m.Type, "_", " ")
	}
	if m.Last4 == "" {
		return kind
	}
	return kind + " ending " + m.Last4
}

// BackupGateway is the part of Stripe a backup payment method needs: the customer's saved
// payment methods (GET /v1/payment_methods?customer=). The charge itself is Gateway.Pay with
// the method named. stripeapi.Client and the simulator's worlds implement it; without it no
// backup is tried.
type BackupGateway interface {
	// PaymentMethods lists the customer's saved payment methods, newest first. A customer
	// Stripe does not know has none (no error).
	PaymentMethods(ctx context.Context, customerID string) ([]SavedMethod, error)
}

// BackupState is where a case stands with backup payment methods.
type BackupState string

// Backup states. The empty state: the case may still try one, if its policy allows.
const (
	// BackupExhausted: every saved method the policy allows has been tried, or none was on
	// file; the case goes on without.
	BackupExhausted BackupState = "exhausted"
)
