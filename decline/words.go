package decline

import (
	"strings"

	"github.com/recoup-hq/recoup"
)

// What Stripe's decline codes, outcome reasons and advice codes mean, in words for the people who
// read the dashboard. Source: Stripe's decline code reference (docs.stripe.com/declines/codes)
// and its advice codes (docs.stripe.com/declines#retrying-issuer-declines), as summarised in
// the project's reference notes. A code not listed reads as itself with its underscores turned
// to spaces.
var codeWords = map[string]string{
	"approve_with_id":                   "cannot be authorized now",
	"authentication_required":           "the bank wants the customer to authenticate",
	"authentication_not_handled":        "authentication was required but not done",
	"call_issuer":                       "declined for a reason the bank will tell the customer",
	"card_declined":                     "card declined",
	"card_not_supported":                "the card does not support this purchase",
	"card_velocity_exceeded":            "the card's balance or limit is exceeded",
	"currency_not_supported":            "the card does not support the currency",
	"do_not_honor":                      "declined by the bank, no reason given",
	"do_not_try_again":                  "the bank says not to try again",
	"duplicate_transaction":             "the same charge was just made",
	"expired_card":                      "expired card",
	"fraudulent":                        "suspected fraud",
	"generic_decline":                   "declined, no reason given",
	"incorrect_address":                 "wrong billing address",
	"incorrect_cvc":                     "wrong security code",
	"invalid_cvc":                       "wrong security code",
	"incorrect_number":                  "wrong card number",
	"invalid_number":                    "wrong card number",
	"incorrect_zip":                     "wrong postal code",
	"insufficient_funds":                "not enough money on the account",
	"invalid_account":                   "the card or account is not valid",
	"invalid_amount":                    "the amount is above what the card allows",
	"invalid_expiry_month":              "wrong expiry month",
	"invalid_expiry_year":               "wrong expiry year",
	"issuer_not_available":              "the bank could not be reached",
	"lost_card":                         "card reported lost",
	"merchant_blacklist":                "on the business's block list",
	"new_account_information_available": "the bank has new card details",
	"no_action_taken":                   "declined, no reason given",
	"not_permitted":                     "the payment is not permitted",
	"pickup_card":                       "the bank asks to retain the card",
	"pin_try_exceeded":                  "too many PIN attempts",
	"processing_error":                  "an error while processing the card",
	"reenter_transaction":               "the bank could not process it; try again",
	"restricted_card":                   "restricted card",
	"revocation_of_authorization":       "the customer revoked this business's authorization",
	"revocation_of_all_authorizations":  "the customer revoked all authorizations",
	"security_violation":                "declined for security reasons",
	"service_not_allowed":               "service not allowed",
	"stolen_card":                       "card reported stolen",
	"stop_payment_order":                "the customer stopped the payment",
	"testmode_decline":                  "a Stripe test card",
	"transaction_not_allowed":           "the card does not allow this payment",
	"try_again_later":                   "declined for now; try again later",
	"withdrawal_count_limit_exceeded":   "the card's balance or limit is exceeded",
	// Declines of other payment methods (PayPal and other wallets, bank debits).
	"compliance_violation":        "declined for compliance reasons",
	"expired_payment_information": "the payment details have expired",
	"invalid_authorization":       "the payment authorization is not valid",
	"invalid_billing_agreement":   "the billing agreement is not valid",
	"invalid_customer_account":    "the customer's account is not valid",
	"partner_generic_decline":     "declined by the payment provider, no reason given",
	"payment_disputed":            "the customer disputed an earlier payment",
	"payment_limit_exceeded":      "the account's payment limit is exceeded",
	// charge.outcome.reason
	recoup.ReasonRetryBlocked: "Stripe blocked the retry as one too many",
	"highest_risk_level":      "blocked by Stripe Radar as highest risk",
	"elevated_risk_level":     "held by Stripe Radar as elevated risk",
}

var adviceWords = map[string]string{
	"try_again_later":   "the bank says try again later",
	"do_not_try_again":  "the bank says do not try again",
	"confirm_card_data": "the bank says the card details need confirming",
}

// CodeWords says what a Stripe decline code or outcome reason means.
func CodeWords(code string) string {
	if w, ok := codeWords[code]; ok {
		return w
	}
	return strings.ReplaceAll(code, "_", " ")
}

// AdviceWords says what a Stripe advice code asks.
func AdviceWords(code string) string {
	if w, ok := adviceWords[code]; ok {
		return w
	}
	return strings.ReplaceAll(code, "_", " ")
}
