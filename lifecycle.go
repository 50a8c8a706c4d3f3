package recoup

import (
	"context"
	"fmt"
	"time"
)

// Lifecycle event types: what the merchant's own systems hear about a case (over the signed
// webhook), so that they can show a banner, restrict access or lift a restriction.
const (
	CaseOpened      = "case.opened"       // a payment failed and recovery started
	CaseRecovered   = "case.recovered"    // the invoice is paid
	CaseFinalAction = "case.final_action" // recovery gave up and the policy's final action ran
	CaseGraceEnded  = "case.grace_ended"  // the policy's grace period passed with the invoice unpaid: restrict access
	// CaseTeamAlert tells the merchant's team about a case the policy marks (team_alert), when
	// it opens (alert "opened") and before its final action (alert "before_final").
	CaseTeamAlert = "case.team_alert"
)

// TeamAlertTemplate names a team alert's email: to the merchant's team, not the customer (no
// unsubscribe link).
const TeamAlertTemplate = "team_alert"

// CaseEvent is one lifecycle event of a case, as delivered to the merchant. ID is stable for
// the case and type, so a receiver deduplicates redeliveries by it.
type CaseEvent struct {
	ID           string      `json:"id"`
	Type         string      `json:"type"`
	CaseID       int64       `json:"case_id"`
	InvoiceID    string      `json:"invoice_id"`
	CustomerID   string      `json:"customer_id"`
	Subscription string      `json:"subscription_id,omitempty"`
	State        CaseState   `json:"state"`
	Category     Category    `json:"category"`
	Amount       Money       `json:"amount"`
	RecoveredBy  RecoveredBy `json:"recovered_by,omitempty"`
	FinalAction  FinalAction `json:"final_action,omitempty"`
	OccurredAt   time.Time   `json:"occurred_at"`
	// Access is the customer's standing when the event is delivered (the same answer as GET
	// /api/v1/customers/{id}/access), so that the merchant's app can open or close a payment
	// wall on the event alone.
	Access *AccessSignal `json:"access,omitempty"`
	// Alert is a team alert's moment (case.team_alert): opened or before_final.
	Alert string `json:"alert,omitempty"`
}

// NewCaseEvent describes event typ of case c as it stands now.
func NewCaseEvent(typ string, c Case) CaseEvent {
	at := c.CreatedAt
	if typ != CaseOpened && !c.ResolvedAt.IsZero() {
		at = c.ResolvedAt
	}
	return CaseEvent{
		ID: fmt.Sprintf("recoup-case-%d-%s-%s", c.ID, c.InvoiceID, typ), Type: typ, CaseID: c.ID,
		InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Subscription: c.SubscriptionID, State: c.State,
		Category: c.Category, Amount: c.Amount, RecoveredBy: c.RecoveredBy, FinalAction: c.FinalAction, OccurredAt: at,
	}
}

// EventSink delivers case lifecycle events to the merchant. An error with code EINVALID means
// the event can never be delivered; any other error is temporary and the delivery is retried.
type EventSink interface {
	Emit(ctx context.Context, ev CaseEvent) error
}
