package dashboard

import (
	"math"
	"strings"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/recoup-hq/recoup"
)

// The dashboard shows people words, never the identifiers the engine stores: every enum a
// page shows goes through one of these maps (an unknown value, which a newer engine could
// store, shows as itself with its underscores turned to spaces).

var stateWords = map[recoup.CaseState]string{
	recoup.StateOpen:             "open",
	recoup.StateScheduled:        "retry planned",
	recoup.StateRetrying:         "charging",
	recoup.StateAwaitingCustomer: "waiting for the customer",
	recoup.StatePaused:           "paused",
	recoup.StatePlanning:         "payment plan being set up",
	recoup.StateExhausted:        "gave up",
	recoup.StateRecovered:        "recovered",
	recoup.StateClosed:           "closed",
}

var categoryWords = map[recoup.Category]string{
	recoup.CategoryUnknown:        "not classified yet",
	recoup.CategoryTechnical:      "technical failure",
	recoup.CategoryFunds:          "insufficient funds",
	recoup.CategoryIssuerSoft:     "issuer declined (soft)",
	recoup.CategoryCustomerFix:    "card needs fixing by the customer",
	recoup.CategoryAuthentication: "needs authentication",
	recoup.CategoryHard:           "hard decline",
}

var finalActionWords = map[recoup.FinalAction]string{
	recoup.FinalCancelSubscription: "cancel the subscription",
	recoup.FinalCancelAtPeriodEnd:  "cancel at the end of the period",
	recoup.FinalMarkUncollectible:  "mark the invoice uncollectible",
	recoup.FinalPauseCollection:    "pause collection",
	recoup.FinalLeavePastDue:       "leave the subscription past due",
}

var actionWords = map[recoup.ActionKind]string{
	recoup.ActionRetry:  "charge again",
	recoup.ActionFinal:  "final action",
	recoup.ActionBackup: "charge a backup payment method",
	recoup.ActionSettle: "settle the small rest",
}

// paymentMethodWords name Stripe's payment method types a backup charge may use.
var paymentMethodWords = map[string]string{
	"card":            "card",
	"sepa_debit":      "SEPA Direct Debit",
	"us_bank_account": "US bank account",
	"bacs_debit":      "Bacs Direct Debit",
	"au_becs_debit":   "BECS Direct Debit",
	"acss_debit":      "Canadian pre-authorized debit",
	"link":            "Link",
}

var entryWords = map[recoup.EntryKind]string{
	recoup.EntryEvent:    "event",
	recoup.EntryDecision: "decision",
	recoup.EntryAttempt:  "charge",
	recoup.EntryState:    "state",
	recoup.EntryAction:   "action",
	recoup.EntryMessage:  "message",
}

var messageStatusWords = map[recoup.MessageStatus]string{
	recoup.MessageSent:    "sent",
	recoup.MessageFailed:  "failed",
	recoup.MessageSkipped: "skipped",
	recoup.MessagePending: "waiting to be sent",
}

// auditWords are the audit log's actions (dashboard/actions.go, auth.go, experiment.go, and
// `recoup experiment end`).
var auditWords = map[string]string{
	"retry_now":            "retry now",
	"skip_to_final":        "skip to the final action",
	"pause":                "pause",
	"resume":               "resume",
	"mark_resolved":        "mark resolved outside Stripe",
	"approve_final_action": "approve the final action",
	"login":                "sign in",
	"end_experiment":       "end the experiment",
}

// words names v from m, or spells an unknown identifier with spaces.
func words[K ~string](m map[K]string, v K) string {
	if w, ok := m[v]; ok {
		return w
	}
	return strings.ReplaceAll(string(v), "_", " ")
}

// wordList names each of vs and joins them: "funds, hard decline and technical failure".
func wordList[K ~string](m map[K]string, vs []K) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = words(m, v)
	}
	return listWords(out)
}

// listWords joins words as a sentence does: "a, b and c".
func listWords(out []string) string {
	switch len(out) {
	case 0:
		return ""
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// moneyFormat writes amounts for one locale, as people write them there: "$752,647.00",
// "¥1,200", "CHF 10.00". The currency's own number of decimals comes from CLDR (through
// golang.org/x/text/currency).
type moneyFormat struct {
	tag     language.Tag
	printer *message.Printer
}

func newMoneyFormat(tag language.Tag) moneyFormat {
	return moneyFormat{tag: tag, printer: message.NewPrinter(tag)}
}

// format writes amount (in the currency's minor unit, as Stripe counts it) with the currency's
// symbol. A currency x/text does not know keeps its upper-case code.
func (f moneyFormat) format(amount int64, cur string) string {
	code := strings.ToUpper(cur)
	major := float64(amount)
	if !recoup.IsZeroDecimal(cur) {
		major /= 100
	}
	unit, err := currency.ParseISO(code)
	if err != nil {
		return f.printer.Sprintf("%.2f", major) + " " + code
	}
	// x/text writes "$ 752,647.00": a symbol made of signs reads better against its number,
	// as every locale that puts it first writes it; a code ("CHF") keeps its space.
	s := f.printer.Sprint(currency.Symbol(unit.Amount(math.Abs(major))))
	if sym, num, ok := strings.Cut(s, " "); ok && !endsInLetter(sym) {
		s = sym + num
	}
	if amount < 0 {
		s = "−" + s
	}
	return s
}

func endsInLetter(s string) bool {
	if s == "" {
		return false
	}
	c := s[len(s)-1]
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
