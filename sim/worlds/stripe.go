package worlds

import (
	"context"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

// Stripe's own recovery, played by the world when the run keeps it on (sim.Config.StripeRecovery):
// Smart Retries with Stripe's recommended default (8 retries within 2 weeks), a failed-payment
// email after each failed payment, and the end-of-retries setting. It works only on what Stripe
// knows: the declines, advice and network codes it received, the card's history on the
// account, the customer's address (hence time zone), public pay calendars and network rules;
// never an invoice's hidden state. docs/simulator.md ("Stripe's own recovery") states every
// assumption.

// Stripe's settings, as a merchant running an experiment keeps them.
const (
	stripeMaxRetries = 8  // Smart Retries' recommended default: 8 tries ...
	stripeRetryDays  = 14 // ... within 2 weeks of the first failure
	stripeTemplate   = "stripe_payment_failed"
	stripeTone       = "neutral" // Stripe's email states the failure and links to the hosted page
	stripeMorning    = 8         // Stripe retries between 08:00 and 12:00 in the customer's time zone
	stripeMorningLen = 4 * time.Hour
	stripeGapSoft    = 20 * time.Hour // never within hours of a decline (issuers' fraud screens)
	stripeGapTech    = 2 * time.Hour  // a processing error is retried the same day
	stripeGapNewCard = time.Hour      // a card the customer or the updater just supplied
)

// StripeEnd is what Stripe does when its retry period is over and the invoice is still unpaid.
type StripeEnd string

// End-of-retries settings.
const (
	// StripeEndCancel cancels the subscription: the setting's first choice, and the default the
	// simulator assumes (docs/simulator.md).
	StripeEndCancel StripeEnd = "cancel"
	// StripeEndPastDue leaves the subscription past due and the invoice open; no more retries.
	StripeEndPastDue StripeEnd = "past_due"
)

// stripeSkips are the decline codes Smart Retries do not retry until a new payment method
// arrives: Stripe's list (docs/declines.md; authentication_required waits for the customer on
// session), and the other hard decline codes, which Stripe's docs say it does not retry
// without listing them all (docs/simulator.md).
var stripeSkips = []string{
	"incorrect_number", "invalid_number", "lost_card", "pickup_card", "stolen_card",
	"revocation_of_authorization", "revocation_of_all_authorizations", "authentication_required",
	"transaction_not_allowed",
	"restricted_card", "card_not_supported", "invalid_account", "fraudulent",
}

// stripeFailed is Stripe's answer to a failed payment of an invoice it collects: its email,
// then its next retry. For the first failure it also sets the end of the retry period.
func (w *Realistic) stripeFailed(inv *invoice) {
	if !w.cfg.StripeRecovery || inv.manual || inv.status != recoup.InvoiceOpen {
		return
	}
	if inv.stripeTries == 0 && inv.attempts == 1 {
		id := inv.id
		w.env.At(inv.t0.Add(stripeRetryDays*day), func() { w.stripeEnd(id) })
	}
	w.stripeEmail(inv)
	if w.active[inv.id] == inv { // the email did not make the customer cancel
		w.stripePlan(inv)
	}
}

// stripeEmail is Stripe's failed-payment email: a link to the hosted page, to update the card
// or pay. It reaches the customer like any message; a hard bounce reaches nobody.
func (w *Realistic) stripeEmail(inv *invoice) {
	w.env.StripeEmail(inv.id)
	if inv.bounces {
		return
	}
	w.deliver(inv, recoup.Message{InvoiceID: inv.id, Channel: "email", Template: stripeTemplate, Tone: stripeTone})
}

// stripeNewCard is Stripe learning of a card to charge: the customer's new default, or the card
// updater's refresh. Stripe's next retry charges it, planned again from now.
func (w *Realistic) stripeNewCard(inv *invoice) {
	if !w.cfg.StripeRecovery || inv.manual || inv.stripeEnded || inv.status != recoup.InvoiceOpen {
		return
	}
	w.stripePlan(inv)
}

// stripePlan schedules Stripe's next retry, replacing any scheduled before; none when the
// retries are spent or the decline forbids one.
func (w *Realistic) stripePlan(inv *invoice) {
	inv.stripeGen++
	t, ok := w.stripeNext(inv, w.env.Now())
	if !ok {
		return
	}
	id, gen := inv.id, inv.stripeGen
	w.env.At(t, func() { w.stripeRetry(id, gen) })
}

// stripeNext is when Smart Retries, as modelled here, retry the invoice next, from what Stripe
// knows at now: the latest decline, the cards' histories on the account, the customer's time
// zone, public pay calendars; the retries left, spread over what remains of the two weeks.
func (w *Realistic) stripeNext(inv *invoice, now time.Time) (time.Time, bool) {
	left := stripeMaxRetries - inv.stripeTries
	deadline := inv.t0.Add(stripeRetryDays * day)
	if left <= 0 || !now.Before(deadline) {
		return time.Time{}, false
	}
	c := inv.cards[inv.def]
	fresh := inv.last == nil || inv.last.PaymentMethodID != c.pm || inv.refreshed(now) && inv.lastBefore(inv.updaterAt)
	var d recoup.Decline
	if inv.last != nil && inv.last.Decline != nil {
		d = *inv.last.Decline
	}
	gap := stripeGapSoft
	switch {
	case fresh:
		gap = stripeGapNewCard
	case !w.stripeRetryable(c, d):
		return time.Time{}, false
	case technicalDecline(d):
		gap = stripeGapTech
	}
	from := now
	if inv.last != nil && !fresh {
		from = inv.last.At
	}
	earliest := later(from.Add(gap), now)
	// The networks' advised waits (Mastercard's merchant advice codes) bind the card.
	earliest = later(earliest, c.waitUntil)
	if c.blockUntil.After(earliest) {
		return time.Time{}, false
	}
	target := earliest
	if !fresh && !technicalDecline(d) {
		// Spread what is left evenly over what remains of the two weeks.
		target = later(target, now.Add(deadline.Sub(now)/time.Duration(left+1)))
		if fundsDecline(d) {
			// Money comes back on a payday: the first public payday of the customer's
			// country from the earliest moment, if it comes before the spread would.
			if p, ok := nextPublicPayday(inv.country, earliest, inv.loc); ok && p.Before(target) {
				target = later(p, earliest)
			}
		} else {
			// Issuers approve less at weekends (public figures): Monday instead, if it fits.
			if wd := target.In(inv.loc).Weekday(); wd == time.Saturday || wd == time.Sunday {
				shift := 1
				if wd == time.Saturday {
					shift = 2
				}
				if m := target.AddDate(0, 0, shift); m.Before(deadline) {
					target = m
				}
			}
		}
	}
	target = w.stripeDaytime(inv, target)
	if !target.Before(deadline) {
		target = w.stripeDaytime(inv, earliest)
		if !target.Before(deadline) {
			return time.Time{}, false
		}
	}
	return target, true
}

// lastBefore reports whether the latest payment came before t.
func (inv *invoice) lastBefore(t time.Time) bool { return inv.last == nil || inv.last.At.Before(t) }

// stripeDaytime moves t into Stripe's morning window in the customer's time zone, at a minute
// drawn per retry (a technical failure's same-day retry keeps its hour when it is daytime).
func (w *Realistic) stripeDaytime(inv *invoice, t time.Time) time.Time {
	l := t.In(inv.loc)
	if h := l.Hour(); h >= stripeMorning && h < stripeMorning+int(stripeMorningLen/time.Hour) {
		return t
	}
	d := l
	if l.Hour() >= stripeMorning {
		d = l.AddDate(0, 0, 1)
	}
	off := time.Duration(inv.uniform(streamStripe, uint64(inv.stripeTries)) * float64(stripeMorningLen)).Truncate(time.Minute)
	return time.Date(d.Year(), d.Month(), d.Day(), stripeMorning, 0, 0, 0, inv.loc).Add(off)
}

// stripeRetryable reports whether Stripe retries card c after decline d: not after the codes it
// skips, an issuer's "do not try again", a Visa category 1 code or a Mastercard "never" advice.
func (w *Realistic) stripeRetryable(c *card, d recoup.Decline) bool {
	n := &w.p.Networks
	switch {
	case slices.Contains(stripeSkips, d.DeclineCode), slices.Contains(stripeSkips, d.Code):
		return false
	case d.AdviceCode == "do_not_try_again":
		return false
	case c.category1 != "", slices.Contains(n.VisaCategory1, d.NetworkDeclineCode) && c.brand == "visa":
		return false
	case slices.Contains(n.MCBlockCodes, d.NetworkAdviceCode):
		return false
	}
	return true
}

func technicalDecline(d recoup.Decline) bool {
	switch d.DeclineCode {
	case "processing_error", "issuer_not_available", "reenter_transaction":
		return true
	}
	return d.Code == "processing_error"
}

func fundsDecline(d recoup.Decline) bool {
	switch d.DeclineCode {
	case "insufficient_funds", "card_velocity_exceeded", "withdrawal_count_limit_exceeded":
		return true
	}
	return false
}

// nextPublicPayday is the first day from t, within two weeks, that is a common payday in the
// country by public calendars (calibration.md): the 1st, the 15th, the last business day and
// Fridays in North America; the 25th and the last business day in Europe and Japan; the 1st,
// the 15th and the last business day elsewhere. It returns the day's start, local.
func nextPublicPayday(country string, t time.Time, loc *time.Location) (time.Time, bool) {
	l := t.In(loc)
	for i := range 15 {
		d := time.Date(l.Year(), l.Month(), l.Day()+i, 0, 0, 0, 0, loc)
		if publicPayday(country, d) {
			return d, true
		}
	}
	return time.Time{}, false
}

func publicPayday(country string, d time.Time) bool {
	last := lastBusinessDay(d)
	switch country {
	case "US", "CA":
		return d.Day() == 1 || d.Day() == 15 || last || d.Weekday() == time.Friday
	case "GB", "DE", "FR", "NL", "ES", "JP":
		return d.Day() == 25 || last
	}
	return d.Day() == 1 || d.Day() == 15 || last
}

func lastBusinessDay(d time.Time) bool {
	if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		return false
	}
	for n := d.AddDate(0, 0, 1); n.Month() == d.Month(); n = n.AddDate(0, 0, 1) {
		if n.Weekday() != time.Saturday && n.Weekday() != time.Sunday {
			return false
		}
	}
	return true
}

// stripeRetry is Stripe's automatic retry of the invoice, off-session on the default card, if
// it is still Stripe's to collect and the plan gen still stands.
func (w *Realistic) stripeRetry(id string, gen int) {
	inv := w.live(id)
	if inv == nil || inv.manual || inv.stripeEnded || gen != inv.stripeGen || inv.stripeTries >= stripeMaxRetries {
		return
	}
	c := inv.cards[inv.def]
	if len(w.p.Networks.before(c, w.env.Now())) > 0 {
		// Stripe blocks a retry the networks would count as excessive (docs/declines.md), and
		// tries again a day later.
		inv.stripeGen++
		if t, ok := w.stripeNext(inv, w.env.Now().Add(stripeGapSoft)); ok {
			gen := inv.stripeGen
			w.env.At(t, func() { w.stripeRetry(id, gen) })
		}
		return
	}
	inv.stripeTries++
	res, by := w.charge(inv, c)
	w.env.StripeAttempt(inv.id, res.Paid)
	if res.Paid {
		if by == sim.ByCustomerNewCard {
			by = sim.ByCustomerPaid // the card the customer supplied, as recoup records it
		} else {
			by = sim.ByStripeRetry
		}
		w.resolve(inv, sim.Recovered, by, false)
		w.emit("invoice.paid", inv.id, inv.customer, nil, nil)
		return
	}
	w.emit("invoice.payment_failed", inv.id, inv.customer, nil, nil)
	if inv.last.Status == "requires_action" {
		w.emit("invoice.payment_action_required", inv.id, inv.customer, nil, nil)
	}
	if w.active[id] == inv {
		w.stripeFailed(inv)
	}
}

// stripeEnd is the end of Stripe's retry period: the end-of-retries setting, for an invoice
// Stripe still collects.
func (w *Realistic) stripeEnd(id string) {
	inv := w.live(id)
	if inv == nil || inv.manual || inv.stripeEnded {
		return
	}
	inv.stripeEnded = true
	inv.stripeGen++
	if w.p.StripeEnd == StripeEndPastDue {
		return
	}
	inv.status = recoup.InvoiceVoid
	w.resolve(inv, sim.Lost, "", false)
	w.emit("customer.subscription.deleted", inv.sub, inv.customer, nil, nil)
}

var _ recoup.TakeoverGateway = (*Realistic)(nil)

// SetAutoAdvance turns Stripe's automatic collection of the invoice off (Stripe's retries and
// emails stop at once; a scheduled retry does not happen) or on (Stripe plans its next retry
// from now, within the rest of its period). Stripe refuses it for an invoice that is paid, void
// or uncollectible (ECONFLICT). No event is sent: nothing recoup reads changes.
func (w *Realistic) SetAutoAdvance(_ context.Context, invoiceID string, on bool, _ string) error {
	inv := w.live(invoiceID)
	if inv == nil {
		if t := w.tombs[invoiceID]; t != nil {
			return recoup.Errorf(recoup.ECONFLICT, "invoice %s is %s: its automatic collection cannot change", invoiceID, t.view.Status)
		}
		return recoup.Errorf(recoup.ENOTFOUND, "no such invoice: %s", invoiceID)
	}
	switch {
	case !on && !inv.manual:
		inv.manual = true
		inv.stripeGen++
	case on && inv.manual:
		inv.manual = false
		if w.cfg.StripeRecovery && !inv.stripeEnded {
			w.stripePlan(inv)
		}
	}
	return nil
}
