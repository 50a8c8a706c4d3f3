package personalize

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/recoup-hq/recoup"
)

// Placeholder stands for the card-update link in the base template and in the model's output.
// The model never sees the real link (it carries a token); the caller substitutes it after
// personalization, whether the text was generated or is the template's.
const Placeholder = "{{update_link}}"

// Tone is a campaign step's tone, as the policy file names it.
type Tone string

// The tones the guardrails know. A step with another tone is not personalized.
const (
	ToneNeutral Tone = "neutral"
	ToneGentle  Tone = "gentle"
	ToneHelpful Tone = "helpful"
	ToneUrgent  Tone = "urgent"
	ToneFinal   Tone = "final"
)

// Known reports whether the guardrails have word lists for the tone.
func (t Tone) Known() bool {
	switch t {
	case ToneNeutral, ToneGentle, ToneHelpful, ToneUrgent, ToneFinal:
		return true
	}
	return false
}

// Request is everything the model is told about one message, and nothing else: no card data,
// no email address, no Stripe or recoup id. Its fields are the whole of what leaves the
// process; a test checks the providers' request bodies against them.
type Request struct {
	FirstName  string // the customer's first name, "" if unknown
	Plan       string // the plan's display name, e.g. "Pro (monthly)"
	Amount     string // the amount due, formatted with its currency: "49.00 USD"
	Reason     string // the failure category in plain words (see Reason)
	Step       int    // the campaign step, from 1
	Tone       Tone
	TenureDays int    // how long the customer has been subscribed
	Locale     string // BCP 47 language tag of the customer's language: "en", "en-GB", "de"
	// Subject and Body are the base template, rendered for this customer with Placeholder where
	// the update link goes. They are personalized, or sent as they are on a fallback.
	Subject string
	Body    string
}

// Customer holds the facts about the customer that a recoup.Case does not carry.
type Customer struct {
	FirstName  string
	Plan       string
	TenureDays int
	Locale     string
}

// ForMessage builds the Request for a campaign message rendered for case c: the hook the engine
// calls before handing the message to its channel. It copies only the allowed facts; the case's
// ids, email address and card details stay behind. m.Subject and m.Text must hold Placeholder
// where the link goes. A customer whose language is unknown gets English, the language the
// templates ship in.
func ForMessage(c recoup.Case, m recoup.Message, who Customer) Request {
	if who.Locale == "" {
		who.Locale = "en"
	}
	return Request{
		FirstName:  who.FirstName,
		Plan:       who.Plan,
		Amount:     c.Amount.String(),
		Reason:     Reason(c.Category),
		Step:       m.Step + 1,
		Tone:       Tone(m.Tone),
		TenureDays: who.TenureDays,
		Locale:     who.Locale,
		Subject:    m.Subject,
		Body:       m.Text,
	}
}

// Reason says a recovery category in the plain, blame-free words the model is given.
func Reason(c recoup.Category) string {
	switch c {
	case recoup.CategoryTechnical:
		return "a temporary processing problem stopped the payment"
	case recoup.CategoryFunds:
		return "the bank declined the payment, often because of a temporary lack of funds"
	case recoup.CategoryIssuerSoft:
		return "the card's bank declined the payment without giving a reason"
	case recoup.CategoryCustomerFix:
		return "the card on file has expired or its details are out of date"
	case recoup.CategoryAuthentication:
		return "the bank asks the customer to confirm the payment"
	case recoup.CategoryHard:
		return "the card on file can no longer be used"
	}
	return "the payment did not go through"
}

// Tenure says how long the customer has been subscribed, in words the model can echo.
func Tenure(days int) string {
	switch {
	case days < 31:
		return "a new customer (less than a month)"
	case days < 60:
		return "a customer for 1 month"
	case days < 365:
		return fmt.Sprintf("a customer for %d months", days/30)
	case days < 730:
		return "a customer for 1 year"
	}
	return fmt.Sprintf("a customer for %d years", days/365)
}

// Input limits: a first name or plan name is short, single-line text. The limits keep a
// customer-chosen name from smuggling instructions to the model.
const (
	maxNameLen = 60
	maxPlanLen = 80
	maxBaseLen = 4000
)

var (
	localeRE = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	// idRE matches Stripe object ids (cus_, in_, pm_, ...) and recoup's idempotency keys.
	idRE = regexp.MustCompile(`\b(cus|in|pm|pi|ch|sub|src|card|ba|seti|si|price|prod|evt|acct|cs|bps|ii|il)_[A-Za-z0-9]{6,}\b|recoup-case-\d+`)
	// emailRE matches an email address.
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+`)
	// longDigitsRE matches runs of 12 or more digits, spaces or dashes allowed between them: a
	// card number (PAN) or an account number.
	longDigitsRE = regexp.MustCompile(`\d(?:[ \-]?\d){11,}`)
)

// check refuses a request that would send the model something it must not see, or that the
// guardrails cannot judge. It is the input side of the guardrails: the Request type keeps ids
// and addresses out by construction, and check catches any that slipped into free text.
func (r Request) check() error {
	if !r.Tone.Known() {
		return fmt.Errorf("tone %q has no guardrail word list", r.Tone)
	}
	if !localeRE.MatchString(r.Locale) {
		return fmt.Errorf("locale %q is not a language tag", r.Locale)
	}
	if r.Step < 1 {
		return fmt.Errorf("step %d: steps count from 1", r.Step)
	}
	if r.Amount == "" {
		return fmt.Errorf("no amount")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"first name", r.FirstName, maxNameLen}, {"plan", r.Plan, maxPlanLen}, {"amount", r.Amount, 40}, {"reason", r.Reason, 200}} {
		if utf8.RuneCountInString(f.v) > f.max {
			return fmt.Errorf("%s is longer than %d characters", f.name, f.max)
		}
		if strings.IndexFunc(f.v, unicode.IsControl) >= 0 || strings.ContainsAny(f.v, "{}<>") {
			return fmt.Errorf("%s holds control characters, braces or angle brackets", f.name)
		}
	}
	if strings.TrimSpace(r.Subject) == "" || strings.TrimSpace(r.Body) == "" {
		return fmt.Errorf("the base template has no subject or no body")
	}
	if utf8.RuneCountInString(r.Subject)+utf8.RuneCountInString(r.Body) > maxBaseLen {
		return fmt.Errorf("the base template is longer than %d characters", maxBaseLen)
	}
	if n := strings.Count(r.Body, Placeholder); n != 1 || strings.Contains(r.Subject, Placeholder) {
		return fmt.Errorf("the base template must hold %s once, in its body (found %d)", Placeholder, n)
	}
	all := strings.Join([]string{r.FirstName, r.Plan, r.Subject, r.Body}, "\n")
	switch {
	case emailRE.MatchString(all):
		return fmt.Errorf("an email address would be sent to the model")
	case idRE.MatchString(all):
		return fmt.Errorf("an id would be sent to the model")
	case longDigitsRE.MatchString(all):
		return fmt.Errorf("a card or account number would be sent to the model")
	case findURL(strings.ReplaceAll(all, Placeholder, "")) != "":
		return fmt.Errorf("a link would be sent to the model: the base template must use %s alone", Placeholder)
	}
	return nil
}

// english reports whether the locale is English, the language the tone word lists are for.
func (r Request) english() bool {
	return strings.EqualFold(r.Locale, "en") || strings.HasPrefix(strings.ToLower(r.Locale), "en-")
}
