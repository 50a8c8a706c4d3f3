package recoup

import (
	"context"
	"time"
)

// A customer's click on the card update link of a message is recorded on the message (its
// first click and the number of clicks), so that the dashboard can show, per campaign step,
// how many customers opened the link and how many then paid. The link carries the case, not
// the message: a click counts for the latest campaign message sent on the case, the one the
// customer most likely opened.

// ClickRecorder records link clicks. The sqlite and postgres transactions implement it; a Tx
// that does not only leaves the click on the case's timeline.
type ClickRecorder interface {
	// RecordClick counts a click at `at` on the latest campaign message sent on the case. A
	// case with no such message records nothing and is no error.
	RecordClick(caseID int64, at time.Time) error
}

// StepStats is how one campaign step (a template at a step index) fared over the messages
// sent in a period.
type StepStats struct {
	Template string `json:"template"`
	Step     int    `json:"step"`
	Sent     int64  `json:"sent"`    // messages sent
	Clicked  int64  `json:"clicked"` // of those, opened at least once
	// RecoveredAfterClick counts the clicked messages whose case the customer then paid (or
	// updated the card and a charge succeeded): recovered by the customer after the first click.
	RecoveredAfterClick int64 `json:"recovered_after_click"`
	// Updated counts the sent messages whose case the customer recovered after the message was
	// sent, clicked or not: the step's update rate. A recovery after two messages counts for both.
	Updated int64 `json:"updated"`
}

// ClickRate is the share of sent messages that were clicked, from 0 to 1.
func (s StepStats) ClickRate() float64 { return ratio(s.Clicked, s.Sent) }

// ClickRecoveryRate is the share of clicked messages whose case the customer recovered after the click.
func (s StepStats) ClickRecoveryRate() float64 { return ratio(s.RecoveredAfterClick, s.Clicked) }

// UpdateRate is the share of sent messages whose case the customer recovered after it was sent.
func (s StepStats) UpdateRate() float64 { return ratio(s.Updated, s.Sent) }

// CampaignStore answers the campaign page's question. The sqlite and postgres stores
// implement it; storetest.RunAccess specifies it.
type CampaignStore interface {
	// CampaignSteps reports on the campaign messages (not the payment confirmations) created
	// in [from, to), by template and step, ordered by step then template.
	CampaignSteps(ctx context.Context, from, to time.Time) ([]StepStats, error)
}
