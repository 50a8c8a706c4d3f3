package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// Switching the subscription to the customer's new card. recoup charges a new card explicitly
// (the attempt carries its payment method), so the failed invoice is paid with it whatever the
// subscription's defaults say. The next renewal is Stripe's own charge, though, and Stripe
// charges a subscription's own default payment method before the customer's: a customer who
// replaced their card in the Billing Portal would be charged on the old card again next month.
// Once the new card has paid, a job makes the subscription charge it.

// cardSwitchKey is the idempotency key of the subscription update for the case's new card.
func cardSwitchKey(c *recoup.Case, paymentMethodID string) string {
	return fmt.Sprintf("recoup-case-%d-%s-card-%s", c.ID, c.InvoiceID, paymentMethodID)
}

// planCardSwitch queues the switch in the transaction that records a successful charge on a
// new card: the job exists if and only if the recovery commits, and survives a crash.
func (e *Engine) planCardSwitch(tx recoup.Tx, c *recoup.Case, a recoup.Attempt) error {
	if a.PaymentMethodID == "" || c.SubscriptionID == "" {
		return nil
	}
	if _, ok := e.gw.(recoup.CardGateway); !ok {
		return nil
	}
	if a.Card == recoup.CardBackup {
		// A backup method becomes the subscription's default only if the policy says so.
		if b := e.view(c).Backup; b == nil || b.SwitchDefault != policy.SwitchOnSuccess {
			return note(tx, c, a.FinishedAt, recoup.EntryAction, "the subscription keeps its default payment method: the policy does not switch it to a backup method that paid (backup_payment_method.switch_default: never)",
				map[string]string{"payment_method": a.PaymentMethodID, "switch_default": policy.SwitchNever})
		}
	}
	return tx.Enqueue(recoup.Job{Kind: recoup.JobCardSwitch, CaseID: c.ID})
}

// SwitchCard makes the subscription of a recovered case charge the new card that paid it, and
// records what was done on the case's timeline. It is safe to run any number of times: the
// gateway reads the subscription first and changes nothing when it already charges the card,
// and the update carries an idempotency key per case and card.
func (e *Engine) SwitchCard(ctx context.Context, now time.Time, caseID int64) error {
	cg, ok := e.gw.(recoup.CardGateway)
	if !ok {
		return nil // the gateway was replaced since the job was queued
	}
	c, err := e.store.Case(ctx, caseID)
	if err != nil {
		return fmt.Errorf("switch card of case %d: %w", caseID, err)
	}
	if c.State != recoup.StateRecovered || c.SubscriptionID == "" {
		return nil
	}
	attempts, err := e.store.Attempts(ctx, caseID)
	if err != nil {
		return fmt.Errorf("switch card of case %d: %w", caseID, err)
	}
	pm := ""
	for _, a := range attempts {
		if a.Source == recoup.SourceRecoup && a.Status == recoup.AttemptSucceeded && a.PaymentMethodID != "" {
			pm = a.PaymentMethodID
		}
	}
	if pm == "" {
		return nil // paid on the card the subscription already charges
	}
	switched, err := e.cardSwitched(ctx, caseID, pm)
	if err != nil || switched {
		return err
	}
	done, err := cg.UseCard(ctx, c.SubscriptionID, pm, cardSwitchKey(&c, pm))
	if err != nil {
		return fmt.Errorf("switch subscription %s of case %d to %s: %w", c.SubscriptionID, caseID, pm, err)
	}
	format, ok := cardSwitchSummaries[done]
	if !ok {
		format = "subscription %s, new card %s: " + string(done)
	}
	return e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := tx.Case(caseID)
		if err != nil {
			return err
		}
		return note(tx, &cur, now, recoup.EntryAction, fmt.Sprintf(format, c.SubscriptionID, pm),
			cardSwitchDetail{Subscription: c.SubscriptionID, PaymentMethod: pm, Switch: done})
	})
}

var cardSwitchSummaries = map[recoup.CardSwitch]string{
	recoup.CardAlreadyCharged:    "subscription %s already charges the new card %s",
	recoup.CardDefaultCleared:    "subscription %s now charges the customer's new default card %s (its own default payment method was removed)",
	recoup.CardDefaultSet:        "subscription %s now charges the new card %s (set as its default payment method)",
	recoup.CardSubscriptionEnded: "subscription %s has ended: the new card %s was not set on it",
}

// cardSwitchDetail is the timeline detail of a card switch.
type cardSwitchDetail struct {
	Subscription  string            `json:"subscription"`
	PaymentMethod string            `json:"payment_method"`
	Switch        recoup.CardSwitch `json:"card_switch"`
}

// cardSwitched reports whether the case's timeline already records the switch to pm: a job
// re-run after it committed (its completion lost) neither calls Stripe nor writes it again.
func (e *Engine) cardSwitched(ctx context.Context, caseID int64, pm string) (bool, error) {
	entries, err := e.store.Timeline(ctx, caseID)
	if err != nil {
		return false, fmt.Errorf("switch card of case %d: %w", caseID, err)
	}
	for _, en := range entries {
		if en.Kind != recoup.EntryAction || len(en.Detail) == 0 {
			continue
		}
		var d cardSwitchDetail
		if json.Unmarshal(en.Detail, &d) == nil && d.Switch != "" && d.PaymentMethod == pm {
			return true, nil
		}
	}
	return false, nil
}
