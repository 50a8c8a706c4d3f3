package recoup

import (
	"context"
	"time"
)

// Offers are what the card update page (/u/<token>) may propose to a customer besides a new
// card, as the case's segment of the policy allows (offers: in the policy file). Each choice is
// recorded once per case and offer (OfferRecorder), on the case's timeline and in the audit
// log, and counted on the campaigns page (OfferStore).

// Offer is one choice the card update page may propose.
type Offer string

// The offers.
const (
	// OfferPayNow sends the customer to the invoice's hosted page to pay it now, with the card
	// on file or another.
	OfferPayNow Offer = "pay_now"
	// OfferPaymentPlan splits the invoice into the segment's payment plan, by the same steps
	// as an operator's (engine.StartPaymentPlan).
	OfferPaymentPlan Offer = "payment_plan"
	// OfferCheaperPlan sends the customer to Stripe's Billing Portal to switch the subscription
	// to another price (the portal's subscription_update flow).
	OfferCheaperPlan Offer = "cheaper_plan"
	// OfferPause pauses the subscription's collection and the case's recovery.
	OfferPause Offer = "pause"
)

// AllOffers lists the offers in the order the page shows them.
var AllOffers = []Offer{OfferPayNow, OfferPaymentPlan, OfferCheaperPlan, OfferPause}

// Valid reports whether o is a known offer.
func (o Offer) Valid() bool {
	switch o {
	case OfferPayNow, OfferPaymentPlan, OfferCheaperPlan, OfferPause:
		return true
	}
	return false
}

// Words names the offer for people (dashboard, timeline).
func (o Offer) Words() string {
	switch o {
	case OfferPayNow:
		return "pay now"
	case OfferPaymentPlan:
		return "payment plan"
	case OfferCheaperPlan:
		return "cheaper plan"
	case OfferPause:
		return "pause"
	}
	return string(o)
}

// OfferChoice is a customer's choice of an offer on a case.
type OfferChoice struct {
	CaseID  int64     `json:"case_id"`
	Offer   Offer     `json:"offer"`
	Segment string    `json:"segment"`
	At      time.Time `json:"at"`
}

// Validate reports an EINVALID error if the choice cannot be stored.
func (c *OfferChoice) Validate() error {
	switch {
	case c.CaseID <= 0:
		return Errorf(EINVALID, "offer choice has no case")
	case !c.Offer.Valid():
		return Errorf(EINVALID, "offer choice has an unknown offer %q", c.Offer)
	case c.At.IsZero():
		return Errorf(EINVALID, "offer choice has no time")
	}
	return nil
}

// OfferRecorder records offer choices; the sqlite and postgres transactions implement it.
type OfferRecorder interface {
	// RecordOfferChoice stores the choice; inserted is false when the case already has a
	// choice of that offer (the first one stands: a repeated click counts once).
	RecordOfferChoice(c OfferChoice) (inserted bool, err error)
}

// OfferCount is how many cases chose an offer in a period.
type OfferCount struct {
	Offer  Offer `json:"offer"`
	Chosen int64 `json:"chosen"`
}

// OfferStore answers the campaigns page's count of offers; storetest specifies it.
type OfferStore interface {
	// OfferCounts counts the choices made in [from, to) by offer, in the order of AllOffers;
	// offers nobody chose are left out.
	OfferCounts(ctx context.Context, from, to time.Time) ([]OfferCount, error)
}
