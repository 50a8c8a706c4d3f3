package report

import (
	"strings"

	"github.com/recoup-hq/recoup"
)

// CategoryWords names a decline category for people.
func CategoryWords(c recoup.Category) string {
	switch c {
	case recoup.CategoryTechnical:
		return "technical failure"
	case recoup.CategoryFunds:
		return "insufficient funds"
	case recoup.CategoryIssuerSoft:
		return "generic issuer decline"
	case recoup.CategoryCustomerFix:
		return "card details to fix"
	case recoup.CategoryAuthentication:
		return "authentication needed"
	case recoup.CategoryHard:
		return "card never to retry"
	case "", recoup.CategoryUnknown:
		return "not classified"
	}
	return strings.ReplaceAll(string(c), "_", " ")
}

// codeWords names a decline code for people: Stripe's codes are already words.
func codeWords(code string) string {
	switch code {
	case "":
		return "no code given"
	case "previously_declined_do_not_retry":
		return "blocked by Stripe (excessive retries)"
	}
	return strings.ReplaceAll(code, "_", " ")
}

// CanTell and CannotTell say what the history is evidence of, and what it is not: every
// format of the report prints them.
var (
	CanTell = []string{
		"Base rates: how often the account's charges failed, and how often a failed invoice was paid in the end, by decline, by retry number, by the customer's local hour and weekday and by the days since the failure, each with its counts.",
		"Where the money was lost: the amounts of the invoices voided or marked uncollectible, by currency, and the decline codes of which no invoice was ever paid.",
		"Who recovered it: a retry of the card that failed, against the customers who paid with a new card, after authenticating, or outside Stripe.",
		"Which charges broke a card network's retry rule, read from the charges themselves.",
	}
	CannotTell = []string{
		"What a different retry time would have done. Stripe's retries were not randomized: Stripe chose when to retry each invoice, from what it knew of it, so the success rate at an hour, a weekday or a day since the failure describes the invoices Stripe chose to retry then, not what retrying any invoice then would do.",
		"Selection bias: later retries are made only on the invoices the earlier ones did not recover, the hardest ones, so a lower success rate of later retries is not evidence that retrying later works worse; and the invoices customers paid themselves never got the retries they would have had.",
		"Why a customer paid: a payment with a new card may follow Stripe's emails, the merchant's own, or nothing; the history holds no message sent.",
		"Small groups: a rate of a few invoices can be far from the truth; read the counts beside each rate.",
	}
)
