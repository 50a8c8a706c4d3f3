package decline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
)

// Every decline code in shared/reference/declines.md, with the category and retry verdict the
// static table must give.
func TestDeclineCodes(t *testing.T) {
	const (
		T = recoup.CategoryTechnical
		F = recoup.CategoryFunds
		S = recoup.CategoryIssuerSoft
		D = recoup.CategoryCustomerFix
		A = recoup.CategoryAuthentication
		H = recoup.CategoryHard
	)
	for _, tc := range []struct {
		code  string
		cat   recoup.Category
		retry bool
	}{
		{"approve_with_id", S, true}, {"authentication_required", A, false}, {"authentication_not_handled", A, false},
		{"call_issuer", S, true}, {"card_not_supported", H, false}, {"card_velocity_exceeded", F, true},
		{"currency_not_supported", H, false}, {"do_not_honor", S, true}, {"do_not_try_again", H, false},
		{"duplicate_transaction", S, true}, {"expired_card", D, false}, {"fraudulent", H, false},
		{"generic_decline", S, true}, {"incorrect_address", D, false}, {"incorrect_zip", D, false},
		{"incorrect_cvc", D, false}, {"invalid_cvc", D, false}, {"incorrect_number", D, false},
		{"invalid_number", D, false}, {"insufficient_funds", F, true}, {"invalid_account", H, false},
		{"invalid_amount", H, false}, {"invalid_expiry_month", D, false}, {"invalid_expiry_year", D, false},
		{"issuer_not_available", T, true}, {"lost_card", H, false}, {"merchant_blacklist", H, false},
		{"new_account_information_available", D, false}, {"no_action_taken", S, true}, {"not_permitted", H, false},
		{"pickup_card", H, false}, {"pin_try_exceeded", H, false}, {"processing_error", T, true},
		{"reenter_transaction", T, true}, {"restricted_card", H, false}, {"revocation_of_authorization", H, false},
		{"revocation_of_all_authorizations", H, false}, {"security_violation", S, true}, {"service_not_allowed", H, false},
		{"stolen_card", H, false}, {"stop_payment_order", H, false}, {"testmode_decline", H, false},
		{"transaction_not_allowed", H, false}, {"try_again_later", S, true}, {"withdrawal_count_limit_exceeded", F, true},
		{"partner_generic_decline", S, true}, {"invalid_customer_account", H, false}, {"payment_limit_exceeded", F, true},
		{"invalid_billing_agreement", D, false}, {"compliance_violation", H, false}, {"payment_disputed", H, false},
		{"invalid_authorization", D, false}, {"expired_payment_information", D, false},
	} {
		t.Run(tc.code, func(t *testing.T) {
			v := decline.Classify(&recoup.Decline{Code: "card_declined", DeclineCode: tc.code})
			if v.Category != tc.cat || v.Retry != tc.retry {
				t.Fatalf("got %s retry=%v (%s), want %s retry=%v", v.Category, v.Retry, v.Rule, tc.cat, tc.retry)
			}
		})
	}
}

func TestAdviceOutranksTable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		d     recoup.Decline
		cat   recoup.Category
		retry bool
		wait  time.Duration
	}{
		{"unknown code defaults to soft", recoup.Decline{DeclineCode: "brand_new_code"}, recoup.CategoryIssuerSoft, true, 0},
		{"error code only", recoup.Decline{Code: "expired_card"}, recoup.CategoryCustomerFix, false, 0},
		{"processing error code", recoup.Decline{Code: "processing_error"}, recoup.CategoryTechnical, true, 0},
		{"do_not_try_again advice on funds", recoup.Decline{DeclineCode: "insufficient_funds", AdviceCode: "do_not_try_again"}, recoup.CategoryHard, false, 0},
		{"confirm_card_data advice", recoup.Decline{DeclineCode: "generic_decline", AdviceCode: "confirm_card_data"}, recoup.CategoryCustomerFix, false, 0},
		{"try_again_later softens customer fix", recoup.Decline{DeclineCode: "incorrect_zip", AdviceCode: "try_again_later"}, recoup.CategoryIssuerSoft, true, 0},
		{"try_again_later does not soften stolen", recoup.Decline{DeclineCode: "stolen_card", AdviceCode: "try_again_later"}, recoup.CategoryHard, false, 0},
		{"MAC 03 never", recoup.Decline{DeclineCode: "insufficient_funds", NetworkAdviceCode: "03", CardBrand: "mastercard"}, recoup.CategoryHard, false, 0},
		{"MAC 21 never", recoup.Decline{DeclineCode: "do_not_honor", NetworkAdviceCode: "21", CardBrand: "mastercard"}, recoup.CategoryHard, false, 0},
		{"MAC 01 updater", recoup.Decline{DeclineCode: "do_not_honor", NetworkAdviceCode: "01", CardBrand: "mastercard"}, recoup.CategoryCustomerFix, false, 0},
		{"MAC 24 waits an hour", recoup.Decline{DeclineCode: "do_not_honor", NetworkAdviceCode: "24", CardBrand: "mastercard"}, recoup.CategoryIssuerSoft, true, time.Hour},
		{"MAC 30 waits ten days", recoup.Decline{DeclineCode: "insufficient_funds", NetworkAdviceCode: "30", CardBrand: "mastercard"}, recoup.CategoryFunds, true, 240 * time.Hour},
		{"Visa category 1", recoup.Decline{DeclineCode: "do_not_honor", NetworkDeclineCode: "R1", CardBrand: "visa"}, recoup.CategoryHard, false, 0},
		{"Visa category 2 code 51", recoup.Decline{DeclineCode: "insufficient_funds", NetworkDeclineCode: "51", CardBrand: "visa"}, recoup.CategoryFunds, true, 0},
		{"category 1 code on Mastercard is not Visa's", recoup.Decline{DeclineCode: "do_not_honor", NetworkDeclineCode: "14", CardBrand: "mastercard"}, recoup.CategoryIssuerSoft, true, 0},
		{"Radar block", recoup.Decline{DeclineCode: "generic_decline", OutcomeType: "blocked"}, recoup.CategoryHard, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := decline.Classify(&tc.d)
			if v.Category != tc.cat || v.Retry != tc.retry || v.Wait != tc.wait {
				t.Fatalf("got %s retry=%v wait=%s (%s); want %s retry=%v wait=%s", v.Category, v.Retry, v.Wait, v.Rule, tc.cat, tc.retry, tc.wait)
			}
			if v.Rule == "" {
				t.Fatal("verdict without a rule")
			}
		})
	}
	if v := decline.Classify(nil); !v.Retry || v.Category != recoup.CategoryIssuerSoft {
		t.Fatalf("nil decline: %+v", v)
	}
}

// Stripe blocks a Visa retry it judges excessive and reports it as a generic decline; only the
// charge's outcome says what happened. The card is never retried, and the rule says why in words.
func TestStripeRetryBlock(t *testing.T) {
	blocked := recoup.Decline{Code: "card_declined", DeclineCode: "generic_decline", OutcomeType: "blocked",
		OutcomeReason: "previously_declined_do_not_retry", NetworkStatus: "not_sent_to_network", CardBrand: "visa"}
	for _, tc := range []struct {
		name string
		d    recoup.Decline
	}{
		{"as Stripe reports it", blocked},
		{"outcome type not read", func() recoup.Decline { d := blocked; d.OutcomeType = ""; return d }()},
		{"advice to try again later does not soften it", func() recoup.Decline { d := blocked; d.AdviceCode = "try_again_later"; return d }()},
		{"brand unknown", func() recoup.Decline { d := blocked; d.CardBrand = ""; return d }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := decline.Classify(&tc.d)
			if v.Category != recoup.CategoryHard || v.Retry {
				t.Fatalf("got %s retry=%v (%s), want hard and no retry", v.Category, v.Retry, v.Rule)
			}
			if v.Rule != "Stripe blocked this retry: the card was declined before and Visa's rules forbid retrying it" {
				t.Errorf("rule %q does not name Stripe's block", v.Rule)
			}
		})
	}
	// Radar's blocks keep their own rule.
	if v := decline.Classify(&recoup.Decline{DeclineCode: "generic_decline", OutcomeType: "blocked", OutcomeReason: "highest_risk_level",
		NetworkStatus: "not_sent_to_network"}); !strings.Contains(v.Rule, "Radar") {
		t.Errorf("Radar block: %+v", v)
	}
}

// Visa's response-code changes of October 2026: 57 never retried (category 1), 83 (Visa's
// network fraud block) retryable within the reattempt limits (category 2).
func TestVisaCodes2026(t *testing.T) {
	for _, tc := range []struct {
		name  string
		d     recoup.Decline
		cat   recoup.Category
		retry bool
	}{
		{"57 on a generic decline", recoup.Decline{Code: "card_declined", DeclineCode: "do_not_honor", NetworkDeclineCode: "57", CardBrand: "visa"}, recoup.CategoryHard, false},
		{"57 as Stripe names it", recoup.Decline{Code: "card_declined", DeclineCode: "transaction_not_allowed", NetworkDeclineCode: "57", CardBrand: "visa"}, recoup.CategoryHard, false},
		{"57 with advice to try later", recoup.Decline{Code: "card_declined", DeclineCode: "generic_decline", AdviceCode: "try_again_later", NetworkDeclineCode: "57", CardBrand: "visa"}, recoup.CategoryHard, false},
		{"57 of unknown brand", recoup.Decline{Code: "card_declined", DeclineCode: "generic_decline", NetworkDeclineCode: "57"}, recoup.CategoryHard, false},
		{"83 on a generic decline", recoup.Decline{Code: "card_declined", DeclineCode: "generic_decline", NetworkDeclineCode: "83", CardBrand: "visa"}, recoup.CategoryIssuerSoft, true},
		{"83 does not soften a hard decline code", recoup.Decline{Code: "card_declined", DeclineCode: "fraudulent", NetworkDeclineCode: "83", CardBrand: "visa"}, recoup.CategoryHard, false},
		{"46, now also a deactivated token", recoup.Decline{Code: "card_declined", DeclineCode: "generic_decline", NetworkDeclineCode: "46", CardBrand: "visa"}, recoup.CategoryHard, false},
		{"05, as 57 was passed on until October 2026", recoup.Decline{Code: "card_declined", DeclineCode: "do_not_honor", NetworkDeclineCode: "05", CardBrand: "visa"}, recoup.CategoryIssuerSoft, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := decline.Classify(&tc.d)
			if v.Category != tc.cat || v.Retry != tc.retry {
				t.Fatalf("got %s retry=%v (%s), want %s retry=%v", v.Category, v.Retry, v.Rule, tc.cat, tc.retry)
			}
		})
	}
}
