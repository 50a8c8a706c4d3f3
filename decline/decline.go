// Package decline turns Stripe's decline, advice and network codes into a recovery category and
// a retry verdict. Advice attached to the specific charge (Stripe's advice_code, Mastercard's
// merchant advice code, Visa's category-1 response codes) outranks the static per-code table;
// unknown codes fall into a conservative default (issuer soft: a few spaced retries).
package decline

import (
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// Verdict is what a decline means for recovery.
type Verdict struct {
	Category recoup.Category
	// Retry reports whether the same credential may be charged again. A false verdict still
	// allows a charge on a new payment method.
	Retry bool
	// Wait is the least time to wait before retrying the same credential.
	Wait time.Duration
	// Rule names the rule that decided, for the case timeline.
	Rule string
}

// entry is a row of the static table.
type entry struct {
	cat   recoup.Category
	retry bool
}

var (
	technical = entry{recoup.CategoryTechnical, true}
	funds     = entry{recoup.CategoryFunds, true}
	soft      = entry{recoup.CategoryIssuerSoft, true}
	fix       = entry{recoup.CategoryCustomerFix, false}
	auth      = entry{recoup.CategoryAuthentication, false}
	hard      = entry{recoup.CategoryHard, false}
)

// declineCodes maps Stripe's card decline_code values (docs.stripe.com/declines/codes, see
// docs/declines.md) to an entry.
var declineCodes = map[string]entry{
	"approve_with_id":                   soft,
	"authentication_required":           auth,
	"authentication_not_handled":        auth,
	"call_issuer":                       soft,
	"card_not_supported":                hard,
	"card_velocity_exceeded":            funds,
	"currency_not_supported":            hard,
	"do_not_honor":                      soft,
	"do_not_try_again":                  hard,
	"duplicate_transaction":             soft,
	"expired_card":                      fix,
	"fraudulent":                        hard,
	"generic_decline":                   soft,
	"incorrect_address":                 fix,
	"incorrect_zip":                     fix,
	"incorrect_cvc":                     fix,
	"invalid_cvc":                       fix,
	"incorrect_number":                  fix,
	"invalid_number":                    fix,
	"insufficient_funds":                funds,
	"invalid_account":                   hard,
	"invalid_amount":                    hard,
	"invalid_expiry_month":              fix,
	"invalid_expiry_year":               fix,
	"issuer_not_available":              technical,
	"lost_card":                         hard,
	"merchant_blacklist":                hard,
	"new_account_information_available": fix,
	"no_action_taken":                   soft,
	"not_permitted":                     hard,
	"pickup_card":                       hard,
	"pin_try_exceeded":                  hard,
	"processing_error":                  technical,
	"reenter_transaction":               technical,
	"restricted_card":                   hard,
	"revocation_of_authorization":       hard,
	"revocation_of_all_authorizations":  hard,
	"security_violation":                soft,
	"service_not_allowed":               hard,
	"stolen_card":                       hard,
	"stop_payment_order":                hard,
	"testmode_decline":                  hard,
	"transaction_not_allowed":           hard,
	"try_again_later":                   soft,
	"withdrawal_count_limit_exceeded":   funds,
	// Non-card payment methods.
	"partner_generic_decline":     soft,
	"invalid_customer_account":    hard,
	"payment_limit_exceeded":      funds,
	"invalid_billing_agreement":   fix,
	"compliance_violation":        hard,
	"payment_disputed":            hard,
	"invalid_authorization":       fix,
	"expired_payment_information": fix,
}

// errorCodes maps Stripe's error `code` when no decline_code says more.
var errorCodes = map[string]entry{
	"card_declined":                          soft,
	"expired_card":                           fix,
	"incorrect_cvc":                          fix,
	"invalid_cvc":                            fix,
	"incorrect_number":                       fix,
	"invalid_number":                         fix,
	"invalid_expiry_month":                   fix,
	"invalid_expiry_year":                    fix,
	"incorrect_zip":                          fix,
	"incorrect_address":                      fix,
	"processing_error":                       technical,
	"authentication_required":                auth,
	"rate_limit":                             technical,
	"lock_timeout":                           technical,
	"api_error":                              technical,
	"card_decline_rate_limit_exceeded":       soft,
	"payment_method_not_available":           technical,
	"payment_intent_authentication_failure":  auth,
	"invoice_payment_intent_requires_action": auth,
	"payment_method_unactivated":             fix,
}

// visaCategory1 lists Visa response codes of category 1 ("issuer will never approve"): no
// reattempt, ever, on that credential (Visa Core Rules; 03, 62, 78, 93 moved to category 2 in
// 2021). 57 is category 1 again from 25 October 2026, after a year in which Visa passed it on
// as 05; 83 (Visa's own network fraud block) became category 2 that day and is not here. 46
// also covers a deactivated token.
var visaCategory1 = map[string]bool{
	"04": true, "07": true, "12": true, "14": true, "15": true, "41": true, "43": true,
	"46": true, "57": true, "R0": true, "R1": true, "R3": true,
}

// macWait maps Mastercard merchant advice codes 24-30 to the advised least wait.
var macWait = map[string]time.Duration{
	"24": time.Hour, "25": 24 * time.Hour, "26": 48 * time.Hour, "27": 96 * time.Hour,
	"28": 144 * time.Hour, "29": 192 * time.Hour, "30": 240 * time.Hour,
}

// RuleRetryBlocked is the rule of a charge Stripe blocked as an excessive Visa retry.
const RuleRetryBlocked = "Stripe blocked this retry: the card was declined before and Visa's rules forbid retrying it"

// Classify returns the verdict for d. A nil decline is classified as unknown and retryable.
func Classify(d *recoup.Decline) Verdict {
	if d == nil {
		return Verdict{Category: recoup.CategoryIssuerSoft, Retry: true, Rule: "no decline details: treated as a generic issuer decline"}
	}
	if d.RetryBlocked() {
		// Stripe itself refused to send the charge (outcome.reason previously_declined_do_not_retry,
		// not sent to the network): its decline code is Stripe's generic one, not the issuer's,
		// and every further charge of the card would be blocked the same way.
		return Verdict{Category: recoup.CategoryHard, Retry: false, Rule: RuleRetryBlocked}
	}
	v := staticVerdict(d)
	// Advice on the specific charge outranks the static table, strongest first.
	mac := strings.TrimSpace(d.NetworkAdviceCode)
	ndc := strings.ToUpper(strings.TrimSpace(d.NetworkDeclineCode))
	switch {
	case mac == "03" || mac == "21":
		return Verdict{Category: recoup.CategoryHard, Retry: false, Rule: "Mastercard merchant advice code " + mac + ": never retry this card"}
	case isVisa(d) && visaCategory1[ndc]:
		return Verdict{Category: recoup.CategoryHard, Retry: false, Rule: "Visa category 1 response code " + ndc + ": never retry this card"}
	case d.AdviceCode == "do_not_try_again":
		return Verdict{Category: recoup.CategoryHard, Retry: false, Rule: "Stripe advice do_not_try_again"}
	case d.AdviceCode == "confirm_card_data" || mac == "01" || mac == "04":
		if v.Category != recoup.CategoryHard {
			v = Verdict{Category: recoup.CategoryCustomerFix, Retry: false, Rule: "advice: card data must be updated (" + firstNonEmpty(d.AdviceCode, "MAC "+mac) + ")"}
		}
	case macWait[mac] > 0:
		if v.Category != recoup.CategoryHard && v.Category != recoup.CategoryCustomerFix && v.Category != recoup.CategoryAuthentication {
			v.Retry = true
			v.Wait = max(v.Wait, macWait[mac])
			v.Rule += "; Mastercard merchant advice code " + mac + ": wait at least " + macWait[mac].String()
		}
	case d.AdviceCode == "try_again_later" || mac == "02":
		if v.Category == recoup.CategoryHard {
			break // an issuer's lost/stolen verdict is not softened by generic advice
		}
		if !v.Retry {
			v = Verdict{Category: recoup.CategoryIssuerSoft, Retry: true, Rule: "advice try_again_later outranks decline code " + d.Reason()}
		}
	}
	if d.OutcomeType == "blocked" && v.Category != recoup.CategoryHard {
		v = Verdict{Category: recoup.CategoryHard, Retry: false, Rule: "blocked by Stripe Radar: retrying the same card will be blocked again"}
	}
	return v
}

func staticVerdict(d *recoup.Decline) Verdict {
	if e, ok := declineCodes[d.DeclineCode]; ok && d.DeclineCode != "" {
		return Verdict{Category: e.cat, Retry: e.retry, Rule: "decline code " + d.DeclineCode}
	}
	if e, ok := errorCodes[d.Code]; ok && d.Code != "" {
		return Verdict{Category: e.cat, Retry: e.retry, Rule: "error code " + d.Code}
	}
	return Verdict{Category: recoup.CategoryIssuerSoft, Retry: true, Rule: "unknown code " + d.Reason() + ": default to a generic issuer decline (few, spaced retries)"}
}

func isVisa(d *recoup.Decline) bool {
	// Without a brand, a category-1 network code is still taken at its word: a wrong "never
	// retry" costs one invoice, a wrong retry costs a network fine.
	return d.CardBrand == "" || strings.EqualFold(d.CardBrand, "visa")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
