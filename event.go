package recoup

import "time"

// EventStatus is how far an inbound event has been handled.
type EventStatus string

// Event statuses.
const (
	EventPending   EventStatus = "pending"   // stored, processing queued
	EventProcessed EventStatus = "processed" // processed
	EventIgnored   EventStatus = "ignored"   // a type recoup does not act on, or nothing to do
	EventFailed    EventStatus = "failed"    // processing gave up; Note says why
)

// EventOrigin says how an event reached recoup.
type EventOrigin string

// Event origins.
const (
	OriginWebhook   EventOrigin = "webhook"
	OriginReconcile EventOrigin = "reconcile" // read back from Stripe's event list
)

// Event is an inbound Stripe event, stored raw exactly once by its Stripe id. The fields beside
// Payload are extracted from it for routing; processing re-reads the objects from Stripe.
type Event struct {
	ID         string `json:"id"`   // Stripe's evt_ id
	Type       string `json:"type"` // e.g. invoice.payment_failed
	ObjectID   string `json:"object_id"`
	CustomerID string `json:"customer_id,omitempty"`
	// Changed lists the dotted keys of data.previous_attributes, e.g.
	// "invoice_settings.default_payment_method" on customer.updated.
	Changed     []string    `json:"changed,omitempty"`
	Livemode    bool        `json:"livemode"`
	Created     time.Time   `json:"created"` // when Stripe created it
	Payload     []byte      `json:"-"`       // the raw body as verified
	Origin      EventOrigin `json:"origin"`
	ReceivedAt  time.Time   `json:"received_at"`
	Status      EventStatus `json:"status"`
	ProcessedAt time.Time   `json:"processed_at,omitzero"`
	Note        string      `json:"note,omitempty"`
}

// HasChanged reports whether key is among the event's previous_attributes.
func (e *Event) HasChanged(key string) bool {
	for _, k := range e.Changed {
		if k == key {
			return true
		}
	}
	return false
}

// Validate reports an EINVALID error if the event cannot be stored: it needs Stripe's id.
func (e *Event) Validate() error {
	if e.ID == "" {
		return Errorf(EINVALID, "the event has no ID")
	}
	return nil
}
