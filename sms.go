package recoup

import (
	"context"
	"errors"
	"time"
)

// ErrOptedOut is wrapped by an SMS channel's refusal of a number that opted out at the
// provider (Twilio's 21610: the person texted STOP there). The engine then stores the number's
// refusal, which a later START lifts, rather than a permanent suppression of the customer.
var ErrOptedOut = errors.New("the recipient opted out of texts")

// SMS is a message channel like email ("sms" in a campaign step): its address is the Stripe
// customer's phone, and it needs the customer's consent, which is stored per phone number.

// SMS consent sources.
const (
	ConsentStripe = "stripe_metadata" // the Stripe customer's metadata recoup_sms_consent says yes
	ConsentStart  = "start"           // the person texted START (or UNSTOP, YES)
	ConsentStop   = "stop"            // the person texted STOP (or an opt-out synonym)
)

// SMSConsent is what is known of a phone number's consent to SMS. A stored consent, the
// person's own word by text (STOP, START), outranks the merchant's metadata.
type SMSConsent struct {
	Phone      string    `json:"phone"`                 // E.164
	CustomerID string    `json:"customer_id,omitempty"` // "" when no case names the number yet
	Consented  bool      `json:"consented"`
	Source     string    `json:"source"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Validate reports an EINVALID error if the consent cannot be stored.
func (c *SMSConsent) Validate() error {
	switch {
	case c.Phone == "":
		return Errorf(EINVALID, "sms consent has no phone number")
	case c.Source != ConsentStripe && c.Source != ConsentStart && c.Source != ConsentStop:
		return Errorf(EINVALID, "sms consent has an unknown source %q", c.Source)
	case c.UpdatedAt.IsZero():
		return Errorf(EINVALID, "sms consent has no time")
	}
	return nil
}

// SMSConsents reads and stores consents; the sqlite and postgres transactions implement it.
type SMSConsents interface {
	// SMSConsent returns the stored consent of the phone number; ENOTFOUND if none.
	SMSConsent(phone string) (SMSConsent, error)
	// PutSMSConsent stores c, replacing the number's earlier consent.
	PutSMSConsent(c *SMSConsent) error
}

// Receipt is what a channel says of a message it accepted: its id at the provider and what it
// cost (in millionths of Currency's unit), when the channel charges per message.
type Receipt struct {
	ProviderID string `json:"provider_id,omitempty"`
	Segments   int    `json:"segments,omitempty"`
	CostMicros int64  `json:"cost_micros"`
	Currency   string `json:"currency,omitempty"`
}

// ReceiptNotifier is a Notifier that tells what it accepted; notify.Router and the SMS
// channel implement it. The engine records the receipt's cost on the message.
type ReceiptNotifier interface {
	SendReceipt(ctx context.Context, m Message) (Receipt, error)
}

// MessageCost is the cost of one message sent.
type MessageCost struct {
	MessageID int64
	CaseID    int64
	Channel   string
	Receipt
	At time.Time
}

// CostRecorder records what messages cost; the sqlite and postgres transactions implement it.
type CostRecorder interface {
	RecordMessageCost(c MessageCost) error
}

// ChannelCost is what one channel's messages cost in a period.
type ChannelCost struct {
	Channel    string `json:"channel"`
	Currency   string `json:"currency"`
	Messages   int64  `json:"messages"`
	CostMicros int64  `json:"cost_micros"`
}

// PerMessageMicros is the mean cost of one message, in millionths.
func (c ChannelCost) PerMessageMicros() int64 {
	if c.Messages == 0 {
		return 0
	}
	return c.CostMicros / c.Messages
}

// CostStore answers the campaigns page's cost per channel; storetest specifies it.
type CostStore interface {
	// ChannelCosts sums the costs recorded in [from, to) by channel and currency.
	ChannelCosts(ctx context.Context, from, to time.Time) ([]ChannelCost, error)
}
