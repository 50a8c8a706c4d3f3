package personalize

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Kind names why a generated text was not used. It is recorded with the message, so the values
// are stable strings.
type Kind string

// What the guardrails reject (Validate).
const (
	KindPlaceholder Kind = "placeholder" // the update link placeholder is missing, repeated or in the subject
	KindLength      Kind = "length"      // the subject or body is empty, too short or too long
	KindTone        Kind = "tone"        // the step's tone was not kept
	KindPromise     Kind = "promise"     // a discount, refund, free period, extension or waiver the policy does not allow
	KindLanguage    Kind = "language"    // not in the customer's language
	KindMarkup      Kind = "markup"      // HTML, script, Markdown links, entities or template syntax
	KindURL         Kind = "url"         // a link, domain, IP or email address other than the placeholder
	KindFigure      Kind = "figure"      // a number that is in neither the facts nor the base template
)

// Why else the template is sent as it is (Personalizer).
const (
	KindMalformed     Kind = "malformed"      // the output is not the JSON object asked for
	KindTimeout       Kind = "timeout"        // the provider did not answer in time
	KindProviderError Kind = "provider_error" // the provider answered with an error or could not be reached
	KindCallCap       Kind = "call_cap"       // the monthly call cap is reached
	KindCostCap       Kind = "cost_cap"       // the monthly cost cap is reached, or this call could pass it
	KindRequest       Kind = "request"        // the request holds something the model must not see, or a tone without word lists
	KindUsageStore    Kind = "usage_store"    // the usage store failed, so the caps cannot be checked
)

// Violation is one rule that a generated text breaks.
type Violation struct {
	Kind   Kind
	Detail string // what was found, for the operator
}

func (v Violation) String() string { return string(v.Kind) + ": " + v.Detail }

// Violations is every rule a generated text breaks. It is an error.
type Violations []Violation

func (vs Violations) Error() string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, "; ")
}

// Has reports whether one of the violations is of kind k.
func (vs Violations) Has(k Kind) bool {
	return slices.ContainsFunc(vs, func(v Violation) bool { return v.Kind == k })
}

// Limits bound a generated text's length, in characters (runes).
type Limits struct {
	Subject int // the subject's maximum
	Body    int // the body's maximum
	MinBody int // the body's minimum: a one-line body lost the template's content
}

// DefaultLimits suit an email: a subject that fits a phone's inbox line, a short body.
var DefaultLimits = Limits{Subject: 120, Body: 2000, MinBody: 40}

// Rules is what Validate holds a generated text to.
type Rules struct {
	Limits Limits
	// Allowed lists the promises the policy allows the message to make (an extension, when the
	// policy grants a grace period the customer may be told about). Promises the base template
	// itself makes are allowed too: the model may say what the merchant wrote.
	Allowed []Promise
}

// Validate checks a generated subject and body against the guardrails and returns every rule
// they break, or nil. It is deterministic and pure, and errs on the side of rejecting: a false
// rejection costs only the personalization (the template is sent), a false acceptance could
// send the customer a wrong promise.
func Validate(r Request, subject, body string, rules Rules) error {
	var vs Violations
	add := func(k Kind, format string, args ...any) {
		vs = append(vs, Violation{Kind: k, Detail: fmt.Sprintf(format, args...)})
	}
	// The placeholder: once, in the body.
	if n := strings.Count(body, Placeholder); n != 1 {
		add(KindPlaceholder, "the body holds %s %d times, not once", Placeholder, n)
	}
	if strings.Contains(subject, Placeholder) {
		add(KindPlaceholder, "the subject holds %s", Placeholder)
	}
	// Lengths.
	lim := rules.Limits
	ns, nb := utf8.RuneCountInString(subject), utf8.RuneCountInString(body)
	switch {
	case strings.TrimSpace(subject) == "":
		add(KindLength, "the subject is empty")
	case ns > lim.Subject:
		add(KindLength, "the subject has %d characters, more than %d", ns, lim.Subject)
	case strings.ContainsAny(subject, "\r\n"):
		add(KindLength, "the subject is more than one line")
	}
	switch {
	case nb < lim.MinBody:
		add(KindLength, "the body has %d characters, fewer than %d", nb, lim.MinBody)
	case nb > lim.Body:
		add(KindLength, "the body has %d characters, more than %d", nb, lim.Body)
	}
	text := subject + "\n" + body
	bare := strings.ReplaceAll(text, Placeholder, " ")
	base := r.Subject + "\n" + r.Body
	// Markup and links.
	if m := findMarkup(bare); m != "" {
		add(KindMarkup, "holds markup or template syntax %q", m)
	}
	if u := findURL(bare); u != "" {
		add(KindURL, "holds a link or address %q", u)
	}
	// Promises: those the policy allows and those the base template makes are fine.
	allowed := append(slices.Clone(rules.Allowed), promisesIn(base)...)
	for _, f := range findPromises(bare) {
		if !slices.Contains(allowed, f.Promise) {
			add(KindPromise, "offers %s (%q), which the policy does not allow", f.Promise, f.Match)
		}
	}
	// Figures: every number must come from the facts or the base template.
	known := numbersIn(strings.Join([]string{r.Amount, r.Plan, r.FirstName, Tenure(r.TenureDays), fmt.Sprint(r.Step), base}, "\n"))
	for _, n := range numberRE.FindAllString(bare, -1) {
		if !known.has(n) {
			add(KindFigure, "mentions %q, which is in neither the facts nor the base template", n)
		}
	}
	// Language, then tone (the tone word lists are English).
	if msg := checkLanguage(r.Locale, bare); msg != "" {
		add(KindLanguage, "%s", msg)
	}
	if r.english() {
		for _, msg := range checkTone(r.Tone, bare, base) {
			add(KindTone, "%s", msg)
		}
	}
	if len(vs) == 0 {
		return nil
	}
	return vs
}

// markupRE matches HTML tags and comments, character entities, script and data URLs, Markdown
// links and any template syntax (the placeholder is removed before matching).
var markupRE = regexp.MustCompile(`(?i)<\s*[a-z/!?][^>\n]{0,30}>?|&(#\d+|#x[0-9a-f]+|[a-z]{2,8});|javascript:|vbscript:|data:[a-z]+/|\{\{|\}\}|\{%|%\}|\$\{|\[[^\]\n]*\]\([^)\n]*\)`)

func findMarkup(s string) string { return markupRE.FindString(s) }

// urlRE matches what a reader or a mail client could follow: a URL with a scheme, www.
// addresses, bare domains under common top-level domains, IPv4 addresses and email addresses.
var urlRE = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.\-]*://\S+|\bwww\.\S+|\bmailto:\S*|[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)+|\b\d{1,3}(\.\d{1,3}){3}\b|\b[a-z0-9\-]+(\.[a-z0-9\-]+)*\.(com|net|org|io|co|ai|app|dev|me|ly|to|info|biz|xyz|link|site|online|shop|store|page|click|gl|gg|cc|tv|us|uk|de|fr|es|it|nl|eu|ru|cn|in|br|au|ca|jp)\b`)

func findURL(s string) string { return urlRE.FindString(s) }

// numberRE matches a number as written in prose: 49, 49.00, 1,200.50, 1.200,50.
var numberRE = regexp.MustCompile(`\d+(?:[.,]\d+)*`)

// numberSet holds numbers by their digits, so that "1,200.00", "1200.00" and "1200" compare.
type numberSet map[string]bool

// numbersIn collects the numbers of s, each by its digits and, for an amount with cents, by
// its whole part as well ("49.00" lets the model write "49").
func numbersIn(s string) numberSet {
	set := numberSet{}
	for _, n := range numberRE.FindAllString(s, -1) {
		set[digits(n)] = true
		if w := wholePart(n); w != "" {
			set[w] = true
		}
	}
	return set
}

func (set numberSet) has(n string) bool {
	if set[digits(n)] {
		return true
	}
	w := wholePart(n)
	return w != "" && set[w]
}

func digits(n string) string { return strings.NewReplacer(",", "", ".", "").Replace(n) }

// wholePart returns the digits before a two-digit decimal part ("1,200.50" → "1200"), or "".
func wholePart(n string) string {
	if i := strings.LastIndexAny(n, ".,"); i >= 0 && len(n)-i == 3 {
		return digits(n[:i])
	}
	return ""
}
