package recoup

import "time"

// Standing is what the merchant's app should do about a customer's access, given their
// unpaid invoices: the access signal (GET /api/v1/customers/{id}/access, and the `access` of
// every lifecycle event), so that an app can show a payment wall without reimplementing the
// policy.
type Standing string

// Standings.
const (
	// StandingGood: no unpaid invoice in recovery; full access.
	StandingGood Standing = "good_standing"
	// StandingGrace: an invoice is unpaid and recovery is under way, within the policy's grace
	// period (or, without one, while recovery runs): keep access, show a banner.
	StandingGrace Standing = "grace"
	// StandingRestricted: the grace period is over, or recovery gave up with the invoice still
	// unpaid: restrict access until it is paid.
	StandingRestricted Standing = "restricted"
)

// AccessSignal is a customer's standing now, with the case that decides it and its dates.
type AccessSignal struct {
	CustomerID string   `json:"customer_id"`
	Status     Standing `json:"status"`
	// The case that decides the standing (the customer's oldest unpaid one); empty in good
	// standing.
	CaseID    int64     `json:"case_id,omitempty"`
	InvoiceID string    `json:"invoice_id,omitempty"`
	CaseState CaseState `json:"case_state,omitempty"`
	Amount    *Money    `json:"amount,omitempty"`
	FailedAt  time.Time `json:"failed_at,omitzero"`
	// GraceEndsAt is when the grace period ends (or ended); zero when the policy sets none.
	GraceEndsAt time.Time `json:"grace_ends_at,omitzero"`
	// RestrictedSince is when access should have been restricted from, when restricted.
	RestrictedSince time.Time `json:"restricted_since,omitzero"`
	// Reason says why, in words.
	Reason string `json:"reason"`
	// OtherUnpaid counts the customer's other unpaid invoices in recovery.
	OtherUnpaid int `json:"other_unpaid,omitempty"`
}

// Unpaid reports whether a case's invoice is still unpaid and in recoup's hands: an active,
// paused or planning case, or one whose recovery gave up (exhausted).
func (c *Case) Unpaid() bool {
	switch c.State {
	case StateRecovered, StateClosed:
		return false
	}
	return c.State.Valid()
}
