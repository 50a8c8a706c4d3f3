package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// Team alerts (policy team_alert): for the cases the policy marks (an amount at least
// team_alert.above, in the segments that set it), the merchant's own team hears when the case
// opens and before its final action, by email or by the signed outgoing webhook (event
// case.team_alert). Each alert is a lifecycle job (recoup.JobLifecycle, event team_alert.opened
// or team_alert.before_final), queued in the transaction that opens the case or plans its
// final action, unique per case and alert, and written on the case's timeline once sent, so a
// re-run sends nothing twice.

// Team alert events, as lifecycle job events.
const (
	alertOpened      = "team_alert.opened"
	alertBeforeFinal = "team_alert.before_final"
)

// planTeamAlert queues the alert in the caller's transaction when the case's policy marks it.
func (e *Engine) planTeamAlert(tx recoup.Tx, c *recoup.Case, event string, at time.Time) error {
	a := e.view(c).TeamAlert
	if !a.Marks(c.Amount) || e.view(c).Observing() {
		return nil
	}
	return tx.Enqueue(recoup.Job{Kind: recoup.JobLifecycle, CaseID: c.ID, Event: event, RunAt: at})
}

// planFinalAlert queues the alert before a final action planned at at.
func (e *Engine) planFinalAlert(tx recoup.Tx, c *recoup.Case, at, now time.Time) error {
	a := e.view(c).TeamAlert
	if a == nil {
		return nil
	}
	run := at.Add(-a.BeforeFinal)
	if run.Before(now) {
		run = now
	}
	return e.planTeamAlert(tx, c, alertBeforeFinal, run)
}

// teamAlertDetail is the timeline detail of a sent alert.
type teamAlertDetail struct {
	TeamAlert string   `json:"team_alert"`
	Channel   string   `json:"channel"`
	To        []string `json:"to,omitempty"`
}

// TeamAlert sends a team alert of the case, once.
func (e *Engine) teamAlert(ctx context.Context, now time.Time, caseID int64, event string) error {
	c, err := e.store.Case(ctx, caseID)
	if err != nil {
		return fmt.Errorf("team alert of case %d: %w", caseID, err)
	}
	p := e.view(&c)
	a := p.TeamAlert
	if !a.Marks(c.Amount) {
		return nil // the policy no longer marks the case
	}
	if sent, err := e.alerted(ctx, caseID, event); err != nil || sent {
		return err
	}
	what := "the case opened"
	if event == alertBeforeFinal {
		if c.NextAction == nil || c.NextAction.Kind != recoup.ActionFinal {
			return nil // recovered, closed, or retrying again: no final action ahead
		}
		what = fmt.Sprintf("its final action (%s) is due %s", p.FinalAction, c.NextAction.At.In(p.Location).Format("Mon 2 Jan 2006 15:04 MST"))
	}
	subject := fmt.Sprintf("recoup: %s unpaid by customer %s (case %d): %s", c.Amount, c.CustomerID, c.ID, strings.SplitN(what, " (", 2)[0])
	text := teamAlertText(c, p, what)
	switch {
	case a.Channel == "email" && e.notifier != nil:
		for _, to := range a.To {
			step := 0
			if event == alertBeforeFinal {
				step = 1
			}
			m := recoup.Message{CaseID: c.ID, InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Channel: "email", Step: step,
				Template: recoup.TeamAlertTemplate, To: to, Subject: subject, Text: text, CreatedAt: now}
			if err := e.notifier.Send(ctx, m); err != nil {
				return fmt.Errorf("team alert of case %d to %s: %w", caseID, to, err)
			}
		}
	case a.Channel == "webhook" && e.sink != nil:
		ev := recoup.NewCaseEvent(recoup.CaseTeamAlert, c)
		ev.ID, ev.OccurredAt, ev.Alert = ev.ID+"-"+strings.TrimPrefix(event, "team_alert."), now, strings.TrimPrefix(event, "team_alert.")
		if err := e.sink.Emit(ctx, ev); err != nil {
			return fmt.Errorf("team alert of case %d: %w", caseID, err)
		}
	default:
		return e.store.Tx(ctx, func(tx recoup.Tx) error {
			return note(tx, &c, now, recoup.EntryEvent, fmt.Sprintf("team alert (%s) not sent: no %s is configured", what, a.Channel),
				teamAlertDetail{TeamAlert: event + ".unsent", Channel: a.Channel})
		})
	}
	return e.store.Tx(ctx, func(tx recoup.Tx) error {
		to := "by the outgoing webhook"
		if a.Channel == "email" {
			to = "by email to " + strings.Join(a.To, ", ")
		}
		return note(tx, &c, now, recoup.EntryAction, fmt.Sprintf("team alerted %s: %s", to, what),
			teamAlertDetail{TeamAlert: event, Channel: a.Channel, To: a.To})
	})
}

// alerted reports whether the timeline records the alert already.
func (e *Engine) alerted(ctx context.Context, caseID int64, event string) (bool, error) {
	entries, err := e.store.Timeline(ctx, caseID)
	if err != nil {
		return false, fmt.Errorf("team alert of case %d: %w", caseID, err)
	}
	for _, en := range entries {
		var d teamAlertDetail
		if len(en.Detail) > 0 && json.Unmarshal(en.Detail, &d) == nil && d.TeamAlert == event {
			return true, nil
		}
	}
	return false, nil
}

func teamAlertText(c recoup.Case, p *policy.Policy, what string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "A case your recovery policy marks for the team (team_alert, at least %s, segment %s): %s.\n\n",
		recoup.Money{Amount: p.TeamAlert.Above, Currency: c.Amount.Currency}, p.Segment, what)
	fmt.Fprintf(&b, "Customer: %s\nInvoice: %s\nAmount unpaid: %s\nState: %s\nDecline category: %s\n", c.CustomerID, c.InvoiceID, c.Amount, c.State, c.Category)
	if a := c.NextAction; a != nil {
		fmt.Fprintf(&b, "Next: %s at %s\n", a.Kind, a.At.In(p.Location).Format("Mon 2 Jan 2006 15:04 MST"))
	}
	fmt.Fprintf(&b, "\nThe case in the dashboard: /ui/cases/%d\n", c.ID)
	return b.String()
}
