package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

// The sms channel: a text goes to the Stripe customer's phone, only with their consent, and
// what it cost is recorded.

// smsBlocked says why a text cannot go to the customer, "" if it can: no phone number, a STOP
// texted from the number (stored by the inbound webhook), or no consent at all. The person's
// own word by text outranks the merchant's metadata (recoup_sms_consent) either way.
func smsBlocked(tx recoup.Tx, cus recoup.Customer, m recoup.Message) (string, error) {
	if m.Channel != "sms" {
		return "", nil
	}
	if m.To == "" {
		return "the customer has no phone number in Stripe", nil
	}
	if sc, ok := tx.(recoup.SMSConsents); ok {
		c, err := sc.SMSConsent(m.To)
		switch {
		case err == nil && !c.Consented:
			return fmt.Sprintf("the customer's number opted out of texts (%s on %s)", c.Source, c.UpdatedAt.UTC().Format(time.DateOnly)), nil
		case err == nil:
			return "", nil // texted START
		case !recoup.IsNotFound(err):
			return "", err
		}
	}
	if !cus.SMSConsent {
		return "no consent to texts: the Stripe customer's metadata recoup_sms_consent is not yes", nil
	}
	return "", nil
}

// refusedForGood records a channel's permanent refusal: a text to a number that opted out at
// the provider stores the number's refusal (a later START lifts it); any other refusal is a
// bounce, which suppresses the channel for the customer.
func (e *Engine) refusedForGood(tx recoup.Tx, c *recoup.Case, now time.Time, m recoup.Message, sendErr error) error {
	sc, ok := tx.(recoup.SMSConsents)
	if m.Channel != "sms" || m.To == "" || !ok || !errors.Is(sendErr, recoup.ErrOptedOut) {
		return e.bounced(tx, c, now, m, sendErr)
	}
	if err := sc.PutSMSConsent(&recoup.SMSConsent{Phone: m.To, CustomerID: c.CustomerID, Consented: false, Source: recoup.ConsentStop, UpdatedAt: now}); err != nil {
		return err
	}
	return note(tx, c, now, recoup.EntryMessage, "the customer's number opted out of texts at the provider: later sms steps are skipped until they text START",
		map[string]any{"channel": m.Channel, "reason": sendErr.Error()})
}

// send hands m to the notifier, with its receipt when the channel gives one.
func (e *Engine) send(ctx context.Context, m recoup.Message) (recoup.Receipt, error) {
	if rn, ok := e.notifier.(recoup.ReceiptNotifier); ok {
		return rn.SendReceipt(ctx, m)
	}
	return recoup.Receipt{}, e.notifier.Send(ctx, m)
}

// recordCost records what a sent message cost, when the channel said and the store keeps it.
func recordCost(tx recoup.Tx, m recoup.Message, r recoup.Receipt, now time.Time) error {
	cr, ok := tx.(recoup.CostRecorder)
	if !ok || (r.ProviderID == "" && r.CostMicros == 0) {
		return nil
	}
	return cr.RecordMessageCost(recoup.MessageCost{MessageID: m.ID, CaseID: m.CaseID, Channel: m.Channel, Receipt: r, At: now})
}
