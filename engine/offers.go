package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
)

// The offers of the card update page (policy offers:): what the customer may choose besides a
// new card. Pay now and the cheaper plan only send the customer to Stripe's pages; the payment
// plan and the pause change the case, by the same steps as an operator's.

// CustomerActor names the customer as the one who agreed to a payment plan or asked for a pause
// from the card update page, on the timeline.
const CustomerActor = "the customer (card update page)"

// Offers returns what the card update page may propose for the case now, in the policy's order:
// the offers of the case's segment that can apply to it. None in observe-only mode (recoup
// changes nothing then), and none for a case that is resolved or being set up as a plan.
func (e *Engine) Offers(c recoup.Case, now time.Time) []recoup.Offer {
	p := e.view(&c)
	if p.Observing() || !messaging(c.State) || c.State == recoup.StatePlanning {
		return nil
	}
	var out []recoup.Offer
	for _, o := range p.Offers {
		switch o {
		case recoup.OfferPaymentPlan:
			if _, ok := e.gw.(recoup.PlanGateway); !ok || c.State == recoup.StateRetrying {
				continue
			}
			if _, err := p.PlanParts(c.Amount, now); err != nil {
				continue // too small for the plan
			}
		case recoup.OfferCheaperPlan:
			if c.SubscriptionID == "" {
				continue
			}
		case recoup.OfferPause:
			_, ok := e.gw.(recoup.SubscriptionGateway)
			if !ok || c.SubscriptionID == "" || c.State == recoup.StateRetrying || c.State == recoup.StateExhausted {
				continue
			}
		}
		out = append(out, o)
	}
	return out
}

// OfferAllowed reports whether the page may act on offer o for the case now.
func (e *Engine) OfferAllowed(c recoup.Case, now time.Time, o recoup.Offer) bool {
	return slices.Contains(e.Offers(c, now), o)
}

// CustomerPause is the pause offer: the case's recovery stops (paused, its planned action
// dropped, in one transaction before any call to Stripe, so no charge or message runs
// meanwhile) and then the subscription's collection is paused in Stripe with a key derived
// from the case. A failed call leaves the case paused, which is safe (nothing is charged): the
// customer's next try sends the same key, and Stripe replays or completes it. An operator
// resumes the case as any paused case.
func (e *Engine) CustomerPause(ctx context.Context, now time.Time, caseID int64) error {
	var c recoup.Case
	err := e.operate(ctx, caseID, "pause from the card update page", func(tx recoup.Tx, cur *recoup.Case) error {
		c = *cur
		if cur.State == recoup.StatePaused {
			return nil // paused already (an earlier try, or an operator): only Stripe's call is left
		}
		if err := mayReplan(cur); err != nil {
			return err
		}
		if cur.SubscriptionID == "" {
			return recoup.Errorf(recoup.ECONFLICT, "the invoice has no subscription to pause")
		}
		reason := CustomerActor + " asked to pause the subscription: recovery paused"
		var dropped any
		if cur.NextAction != nil {
			dropped = *cur.NextAction
		}
		cur.NextAction = nil
		if err := note(tx, cur, now, recoup.EntryAction, reason, map[string]any{"by": CustomerActor, "dropped_action": dropped}); err != nil {
			return err
		}
		if err := transition(tx, cur, recoup.StatePaused, now, reason); err != nil {
			return err
		}
		c = *cur
		return nil
	})
	if err != nil {
		return err
	}
	sg, ok := e.gw.(recoup.SubscriptionGateway)
	if !ok || c.SubscriptionID == "" {
		return recoup.Errorf(recoup.EINVALID, "pause from the card update page on case %d: the gateway cannot pause a subscription", caseID)
	}
	key := fmt.Sprintf("recoup-case-%d-%s-customer-pause", c.ID, c.InvoiceID)
	if err := sg.PauseCollection(ctx, c.SubscriptionID, key); err != nil {
		return fmt.Errorf("pause from the card update page on case %d: pause collection of %s (the case stays paused; trying again is safe): %w",
			caseID, c.SubscriptionID, err)
	}
	return e.operate(ctx, caseID, "record the pause", func(tx recoup.Tx, cur *recoup.Case) error {
		return note(tx, cur, now, recoup.EntryAction, "collection paused on subscription "+c.SubscriptionID+" at the customer's request",
			map[string]any{"by": CustomerActor, "subscription": c.SubscriptionID})
	})
}
