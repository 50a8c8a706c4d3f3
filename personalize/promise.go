package personalize

import (
	"fmt"
	"regexp"
	"slices"
)

// Promise is a kind of offer a message could make to the customer. A model asked to be warm
// readily offers one ("we've extended your access for a week"); the business is then bound by
// a promise its policy never made. Validate rejects every promise the policy does not allow.
type Promise string

// The promises the guardrails detect.
const (
	PromiseDiscount   Promise = "discount"    // a price cut, coupon or special offer
	PromiseRefund     Promise = "refund"      // money back
	PromiseFreePeriod Promise = "free_period" // a free month, week or trial; something on the house
	PromiseExtension  Promise = "extension"   // more time to pay, a grace period, a postponed charge
	PromiseWaiver     Promise = "waiver"      // a fee or the amount waived or forgiven
)

// Promises lists every promise kind, for configuration checks.
var Promises = []Promise{PromiseDiscount, PromiseRefund, PromiseFreePeriod, PromiseExtension, PromiseWaiver}

// ParsePromise returns the promise named s, or an error naming the known ones.
func ParsePromise(s string) (Promise, error) {
	if slices.Contains(Promises, Promise(s)) {
		return Promise(s), nil
	}
	return "", fmt.Errorf("unknown promise %q (known: discount, refund, free_period, extension, waiver)", s)
}

// promisePatterns are English phrasings of each promise. They match words, not meaning: a
// message that says "we can't offer a refund" is rejected too, which only costs the
// personalization of that message (the template is sent).
var promisePatterns = []struct {
	promise Promise
	re      *regexp.Regexp
}{
	{PromiseDiscount, regexp.MustCompile(`(?i)\b(discount(s|ed)?|coupons?|promo(tion(al)?)?\s+codes?|voucher|special\s+(offer|price|deal)|reduced\s+(price|rate)|half\s+price|lower\s+price|\d+\s?%\s*off|save\s+\d)\b|\b\d+\s?%\s*off`)},
	{PromiseRefund, regexp.MustCompile(`(?i)\b(refund(s|ed|able)?|money\s+back|reimburs\w*|credit\s+your\s+account|account\s+credit)\b`)},
	{PromiseFreePeriod, regexp.MustCompile(`(?i)\b(free\s+(months?|weeks?|days?|trial|period|access|of\s+charge|upgrade)|(months?|weeks?|days?)\s+(for\s+)?free|on\s+(us|the\s+house)|complimentary|no\s+(extra\s+)?charge|at\s+no\s+cost)\b`)},
	{PromiseExtension, regexp.MustCompile(`(?i)\b(extension|extend(s|ed|ing)?|(more|extra|additional)\s+(time|days?|weeks?)|grace\s+period|postpon\w*|defer(red|ring)?|pay\s+later|payment\s+plan|in\s+installments|hold\s+off)\b`)},
	{PromiseWaiver, regexp.MustCompile(`(?i)\b(waive[ds]?|waiving|forgiv\w*|write\s+(it\s+)?off|cancel\s+the\s+(balance|amount|invoice)|don'?t\s+(have|need)\s+to\s+pay|no\s+need\s+to\s+pay)\b`)},
}

// found is a promise and the words that made it.
type found struct {
	Promise Promise
	Match   string
}

// findPromises returns each promise kind that s makes, with the first phrase that makes it.
func findPromises(s string) []found {
	var out []found
	for _, p := range promisePatterns {
		if m := p.re.FindString(s); m != "" {
			out = append(out, found{p.promise, m})
		}
	}
	return out
}

// promisesIn returns the promise kinds s makes.
func promisesIn(s string) []Promise {
	var out []Promise
	for _, f := range findPromises(s) {
		out = append(out, f.Promise)
	}
	return out
}
