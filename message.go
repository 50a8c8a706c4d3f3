package recoup

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MessageStatus is where a message to a customer stands.
type MessageStatus string

// Message statuses.
const (
	MessagePending MessageStatus = "pending" // recorded; the channel has not confirmed it yet
	MessageSent    MessageStatus = "sent"    // the channel accepted it
	MessageFailed  MessageStatus = "failed"  // the channel refused it for good (hard bounce, invalid address)
	MessageSkipped MessageStatus = "skipped" // not sent: no channel is configured, or the step no longer applies
)

// Message is one step of a campaign sent (or to be sent) to a customer about a case. There is at
// most one message per case and step: it is recorded before it is handed to the channel, so a
// crash or a second process can never send a step twice.
type Message struct {
	ID         int64         `json:"id"`
	CaseID     int64         `json:"case_id"`
	InvoiceID  string        `json:"invoice_id"`
	CustomerID string        `json:"customer_id"`
	Step       int           `json:"step"`     // the campaign step's index, from 0
	Channel    string        `json:"channel"`  // email, webhook, ...
	Template   string        `json:"template"` // the template's name
	Tone       string        `json:"tone"`     // gentle, helpful, urgent, final, ...
	To         string        `json:"to,omitempty"`
	Subject    string        `json:"subject,omitempty"`
	Text       string        `json:"text,omitempty"` // the rendered body
	HTML       string        `json:"html,omitempty"` // the rendered HTML body, for channels that show one (email); "" if none
	Status     MessageStatus `json:"status"`
	Error      string        `json:"error,omitempty"`
	CreatedAt  time.Time     `json:"created_at"`
	SentAt     time.Time     `json:"sent_at,omitzero"`

	// Personalization by a language model (off by default), fixed when the message is recorded
	// so a retried send reuses it. Generated: Subject, Text and HTML are the model's words.
	// Fallback (a kind, e.g. "timeout", "placeholder") and FallbackReason say why the template
	// was sent instead. Generation is the model's raw output and Model its name, for the audit.
	// NoticeID is set, and CaseID zero, on the message of a Notice (a message outside any
	// case: a card expiring, an invoice reminder); it is not stored with messages.
	NoticeID int64 `json:"notice_id,omitempty"`

	Generated      bool   `json:"generated,omitempty"`
	Fallback       string `json:"fallback,omitempty"`
	FallbackReason string `json:"fallback_reason,omitempty"`
	Generation     string `json:"generation,omitempty"`
	Model          string `json:"model,omitempty"`
}

// StepConfirmation is the Step of a case's "payment received" message: not a campaign step (a
// policy has far fewer), it shares the one-message-per-case-and-step guarantee.
const StepConfirmation = 10000

// IdempotencyKey identifies the message to channels that deduplicate (an outgoing webhook's id,
// an email's Message-ID).
func (m *Message) IdempotencyKey() string {
	if m.NoticeID != 0 {
		return noticeKey(m.NoticeID)
	}
	if m.Template == TeamAlertTemplate { // Step numbers the alert: 0 when the case opened, 1 before its final action
		return fmt.Sprintf("recoup-case-%d-%s-team-alert-%d-%s", m.CaseID, m.InvoiceID, m.Step, m.To)
	}
	return fmt.Sprintf("recoup-case-%d-%s-message-%d", m.CaseID, m.InvoiceID, m.Step)
}

// Validate reports an EINVALID error if the message cannot be stored.
func (m *Message) Validate() error {
	switch {
	case m.CaseID == 0:
		return Errorf(EINVALID, "message has no case")
	case m.Channel == "":
		return Errorf(EINVALID, "message has no channel")
	case m.Step < 0:
		return Errorf(EINVALID, "message step %d is negative", m.Step)
	}
	switch m.Status {
	case MessagePending, MessageSent, MessageFailed, MessageSkipped:
		return nil
	}
	return Errorf(EINVALID, "message has an unknown status %q", m.Status)
}

// ErrNoChannel is returned (wrapped) by a Notifier that has no channel for a message: the
// message is recorded as skipped, neither failed nor retried, and is no bounce.
var ErrNoChannel = errors.New("no message channel is configured")

// Notifier delivers a message to the customer over its channel. An error with code EINVALID
// means the message can never be delivered (hard bounce, invalid address); any other error is
// temporary and the send is retried.
type Notifier interface {
	Send(ctx context.Context, m Message) error
}
