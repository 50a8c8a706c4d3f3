package recoup

import (
	"fmt"
	"time"
)

// Notice kinds: messages to a customer that belong to no recovery case.
const (
	// NoticeCardExpiring warns that the saved card expires before the subscription's next
	// renewal (pre-dunning).
	NoticeCardExpiring = "card_expiring"
	// NoticeInvoiceDue reminds of an invoice sent to be paid by the customer
	// (collection_method send_invoice), before, on or after its due date.
	NoticeInvoiceDue = "invoice_due"
)

// Notice is a message to a customer outside any case. Like a campaign message it is recorded
// before it is handed to its channel, and Key (unique per kind) keeps it from ever being sent
// twice: for a card expiring, the customer, the card and the renewal; for an invoice reminder,
// the invoice and the day of the schedule.
type Notice struct {
	ID              int64         `json:"id"`
	Kind            string        `json:"kind"`
	Key             string        `json:"key"`
	CustomerID      string        `json:"customer_id"`
	SubscriptionID  string        `json:"subscription_id,omitempty"`
	InvoiceID       string        `json:"invoice_id,omitempty"`        // invoice_due: the invoice
	PaymentMethodID string        `json:"payment_method_id,omitempty"` // card_expiring: the expiring card's id (no card data)
	DueAt           time.Time     `json:"due_at"`                      // the renewal, or the invoice's due date
	Channel         string        `json:"channel"`
	To              string        `json:"to,omitempty"`
	Subject         string        `json:"subject,omitempty"`
	Text            string        `json:"text,omitempty"`
	HTML            string        `json:"html,omitempty"`
	Status          MessageStatus `json:"status"`
	Error           string        `json:"error,omitempty"`
	CreatedAt       time.Time     `json:"created_at"`
	SentAt          time.Time     `json:"sent_at,omitzero"`
}

// Validate reports an EINVALID error if the notice cannot be stored.
func (n *Notice) Validate() error {
	switch {
	case n.Kind != NoticeCardExpiring && n.Kind != NoticeInvoiceDue:
		return Errorf(EINVALID, "notice has an unknown kind %q", n.Kind)
	case n.Key == "":
		return Errorf(EINVALID, "notice has no key")
	case n.CustomerID == "":
		return Errorf(EINVALID, "notice has no customer")
	case n.Channel == "":
		return Errorf(EINVALID, "notice has no channel")
	}
	switch n.Status {
	case MessagePending, MessageSent, MessageFailed, MessageSkipped:
		return nil
	}
	return Errorf(EINVALID, "notice has an unknown status %q", n.Status)
}

// Message is the notice as the channels take it: NoticeID set, CaseID zero.
func (n *Notice) Message() Message {
	return Message{NoticeID: n.ID, InvoiceID: n.InvoiceID, CustomerID: n.CustomerID, Channel: n.Channel, Template: n.Kind,
		Tone: "neutral", To: n.To, Subject: n.Subject, Text: n.Text, HTML: n.HTML, Status: n.Status, CreatedAt: n.CreatedAt}
}

// noticeKey is the IdempotencyKey of a notice's message.
func noticeKey(id int64) string { return fmt.Sprintf("recoup-notice-%d", id) }
