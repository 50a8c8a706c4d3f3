package recoup

import "time"

// SuppressionReason says why a customer receives nothing more on a channel.
type SuppressionReason string

// Suppression reasons.
const (
	SuppressBounce      SuppressionReason = "hard_bounce"  // the channel refused the address for good
	SuppressUnsubscribe SuppressionReason = "unsubscribed" // the customer asked to receive no more
)

// Suppression records that a customer receives no more messages on a channel. Campaign steps on
// that channel are skipped, with the reason on the case's timeline. It is kept per customer,
// not per case: an address that bounced bounces for every invoice, and an unsubscribe is the
// person's choice, not the invoice's.
type Suppression struct {
	CustomerID string            `json:"customer_id"`
	Channel    string            `json:"channel"`
	Reason     SuppressionReason `json:"reason"`
	Detail     string            `json:"detail,omitempty"`  // the channel's answer, or where the request came from
	CaseID     int64             `json:"case_id,omitempty"` // the case whose message led to it, if any
	CreatedAt  time.Time         `json:"created_at"`
}

// Validate reports an EINVALID error if the suppression cannot be stored.
func (s *Suppression) Validate() error {
	switch {
	case s.CustomerID == "":
		return Errorf(EINVALID, "suppression has no customer")
	case s.Channel == "":
		return Errorf(EINVALID, "suppression has no channel")
	case s.Reason != SuppressBounce && s.Reason != SuppressUnsubscribe:
		return Errorf(EINVALID, "suppression has an unknown reason %q", s.Reason)
	}
	return nil
}
