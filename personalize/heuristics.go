package personalize

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// The guardrails' word heuristics: promises, tone and language are judged from English phrase
// patterns, word lists and stopword shares. They are cheap, deterministic and explainable in a
// timeline entry, and they are not an understanding of the text: each section says what it
// misses. docs/personalization.md repeats those limits for operators.

// # Promises

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

// # Tone

// The tone check is a heuristic over English word lists, not an understanding of the text. It
// catches the failures that matter most in dunning: a friendly step that starts threatening,
// and a last-chance step that the model softened into "no rush". It cannot tell sarcasm,
// subtle pressure or a polite threat without the listed words; a text that passes is not
// proven to have the right tone. Other languages are not checked for tone (only for language).

// threatRE marks consequences a gentle, neutral or helpful step must not mention.
var threatRE = regexp.MustCompile(`(?i)\b(suspend\w*|suspension|terminat\w*|cancel(s|led|ed|ling|ing|lation)?|deactivat\w*|lose\s+(your\s+)?access|loss\s+of\s+access|cut\s+off|shut\s+(off|down)|final\s+(notice|warning|reminder)|last\s+(chance|notice|warning)|immediately|urgent\w*|overdue)\b`)

// legalRE marks threats no step may make: recoup's final actions stop at the subscription.
var legalRE = regexp.MustCompile(`(?i)\b(legal\s+action|lawsuit|sue|court|attorney|lawyer|debt\s+collect\w*|collection\s+agenc\w*|collections|credit\s+(score|report|rating|bureau)s?|bailiff)\b`)

// breezyRE marks the casual reassurance an urgent or final step must not fall to.
var breezyRE = regexp.MustCompile(`(?i)\b(no\s+worries|no\s+rush|no\s+hurry|no\s+pressure|no\s+big\s+deal|nothing\s+urgent|not\s+urgent|don'?t\s+worry|do\s+not\s+worry|take\s+your\s+time|whenever(\s+you\s+(can|like|want))?|at\s+your\s+(leisure|convenience)|if\s+you\s+get\s+a\s+chance|when\s+you\s+(get|have)\s+a\s+(chance|moment|minute|sec)|just\s+a\s+(quick\s+)?(heads[\s-]up|reminder|note)|in\s+your\s+own\s+time)\b|[:;]-?[)D]`)

// urgentRE marks that action is needed soon: an urgent or final step must say so.
var urgentRE = regexp.MustCompile(`(?i)\b(urgent\w*|action\s+(is\s+)?(needed|required)|immediately|as\s+soon\s+as\s+possible|right\s+away|today|now|promptly|without\s+delay|suspend\w*|suspension|cancel\w*|deadline|final|last|before|by\s+\w+\s+\d|expires?|ends?|interrupt\w*|lose\s+(your\s+)?access)\b`)

// finalRE marks that this is the end: a final step must say so.
var finalRE = regexp.MustCompile(`(?i)\b(final|last|will\s+(be\s+)?(cancel\w*|end|ended|suspend\w*|clos\w*|terminat\w*|stop\w*|deactivat\w*|expire)|ending|ends|no\s+further\s+(notice|reminder)s?)\b`)

// checkTone returns what in s breaks the tone t, allowing words the base template uses itself
// (the merchant chose them for this step).
func checkTone(t Tone, s, base string) []string {
	var out []string
	newWords := func(re *regexp.Regexp) []string {
		var ws []string
		for _, m := range re.FindAllString(s, -1) {
			if !containsFold(base, m) {
				ws = append(ws, m)
			}
		}
		return ws
	}
	if ws := newWords(legalRE); len(ws) > 0 {
		out = append(out, fmt.Sprintf("threatens legal or credit consequences (%q)", ws[0]))
	}
	switch t {
	case ToneGentle, ToneNeutral, ToneHelpful:
		if ws := newWords(threatRE); len(ws) > 0 {
			out = append(out, fmt.Sprintf("the %s step threatens or presses (%q)", t, ws[0]))
		}
	case ToneUrgent, ToneFinal:
		if ws := newWords(breezyRE); len(ws) > 0 {
			out = append(out, fmt.Sprintf("the %s step is made casual (%q)", t, ws[0]))
		}
		if !urgentRE.MatchString(s) {
			out = append(out, fmt.Sprintf("the %s step does not say that action is needed soon", t))
		}
		if t == ToneFinal && !finalRE.MatchString(s) {
			out = append(out, "the final step does not say that it is the last notice or what ends")
		}
	}
	return out
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// # Language

// The language check is a light heuristic: the share of a text's words that are among the most
// common function words ("stopwords") of a language. Ordinary prose in a language has a third
// or more of its words in that list; text in another language has few. It tells English from
// the other languages below reliably on a paragraph, less so on a line or two, and it cannot
// judge a language it has no list for beyond "this is not English". Texts under minWords words
// are not judged at all.

// stopwords holds, per language, common function words that are rare as words of the others.
// Words shared between two lists count for both, which only narrows the margin.
var stopwords = map[string]map[string]bool{
	"en": set("the and to of a you your is it that for we in on this with be are was have has can will please our if as at by or not an thank thanks us would could any from just been what which there their know let"),
	"de": set("der die das und ist nicht sie ihr ihre ihren ihrem wir zu den dem des ein eine einen einem mit auf für von bitte danke wenn sich auch noch nur oder wie bei aus dass können konnten wurde werden haben hat"),
	"fr": set("le la les et est pas vous votre vos nous de des du un une pour avec sur dans que qui ne merci si il elle au aux ce cette sont été avons pouvez être"),
	"es": set("el la los las y es no usted su sus nosotros de del un una para con por en que se gracias si lo al este esta son ha hemos puede favor"),
	"it": set("il lo la gli le e è non lei suo sua suoi noi di del della un una per con su che si grazie se al sono ha abbiamo può questo questa"),
	"nl": set("de het een en is niet u uw jij je wij we van voor met op dat die er dank als bij ook zijn heeft hebben kunt wordt dit deze"),
	"pt": set("o os as e é não você seu sua seus nós de do da dos das um uma para com por em que se obrigado obrigada ao foi são tem podemos este esta"),
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

const (
	minWords      = 12   // below this a text is too short to judge
	minShare      = 0.20 // the locale's list must cover at least this share of the words
	maxOtherShare = 0.20 // for a language without a list: English may cover at most this share
)

// words splits s into lower-case words of letters (apostrophes kept inside a word).
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\''
	})
}

// share is the fraction of ws found in list.
func share(ws []string, list map[string]bool) float64 {
	n := 0
	for _, w := range ws {
		if list[w] {
			n++
		}
	}
	return float64(n) / float64(len(ws))
}

// checkLanguage returns why s does not read as the locale's language, or "".
func checkLanguage(locale, s string) string {
	ws := words(s)
	if len(ws) < minWords {
		return ""
	}
	lang := strings.ToLower(strings.SplitN(locale, "-", 2)[0])
	list, ok := stopwords[lang]
	if !ok {
		if sh := share(ws, stopwords["en"]); sh > maxOtherShare {
			return fmt.Sprintf("reads as English (%.0f%% English stopwords) for locale %s", sh*100, locale)
		}
		return ""
	}
	own := share(ws, list)
	if own < minShare {
		return fmt.Sprintf("only %.0f%% of the words are common %s words (at least %.0f%% expected)", own*100, lang, minShare*100)
	}
	for _, other := range slices.Sorted(maps.Keys(stopwords)) {
		if other == lang {
			continue
		}
		if sh := share(ws, stopwords[other]); sh > own {
			return fmt.Sprintf("reads more as %s (%.0f%%) than %s (%.0f%%)", other, sh*100, lang, own*100)
		}
	}
	return ""
}
