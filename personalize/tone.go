package personalize

import (
	"fmt"
	"regexp"
	"strings"
)

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
