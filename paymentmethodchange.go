package recoup

import "time"

// PaymentMethodChange is the newest change to a customer's payment methods that Stripe has
// reported: a card attached or made the default, or a card the card updater refreshed in place.
// Stripe does not order its events, and its real-time card updater may refresh a card at the
// very decline it answers, so the change can arrive before the failure that opens a case. The
// store keeps it per customer, whether or not a case is open, and a case that opens applies it
// when it is not older than the failure.
type PaymentMethodChange struct {
	CustomerID      string `json:"customer_id"`
	PaymentMethodID string `json:"payment_method_id"`
	// Refreshed: the card updater changed the card in place (same id, new number or expiry),
	// so it is news even if it is the card that failed.
	Refreshed bool `json:"refreshed,omitempty"`
	// At is when Stripe created the event that reported the change (whole seconds): the same
	// clock as the failure it is compared with.
	At      time.Time `json:"at"`
	EventID string    `json:"event_id,omitempty"`
}

// Validate reports an EINVALID error if the change cannot be stored.
func (c *PaymentMethodChange) Validate() error {
	switch {
	case c.CustomerID == "":
		return Errorf(EINVALID, "payment method change has no customer")
	case c.PaymentMethodID == "":
		return Errorf(EINVALID, "payment method change has no payment method")
	case c.At.IsZero():
		return Errorf(EINVALID, "payment method change has no time")
	}
	return nil
}
