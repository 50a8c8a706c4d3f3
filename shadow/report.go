// Package shadow reports what observe-only (shadow) mode saw: for each case, what recoup would
// have done, what Stripe's own recovery did, and how the invoice ended. It reads the store only,
// so a business can run it next to Stripe's built-in recovery and compare before letting recoup
// act.
package shadow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// Event is one thing that happened, or would have, on a case.
type Event struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
}

// Case is the comparison for one case.
type Case struct {
	CaseID    int64            `json:"case_id"`
	InvoiceID string           `json:"invoice_id"`
	Amount    recoup.Money     `json:"amount"`
	Segment   string           `json:"segment,omitempty"`
	State     recoup.CaseState `json:"state"`
	// Recoup lists what recoup would have done: charges, messages, the final action.
	Recoup []Event `json:"recoup"`
	// Stripe lists Stripe's own attempts on the invoice.
	Stripe []Event `json:"stripe"`
	// Outcome says how the invoice ended, or that it is still unpaid.
	Outcome string `json:"outcome"`
	// FirstWouldCharge is recoup's first would-be charge; PaidAt when the invoice was paid.
	FirstWouldCharge time.Time `json:"first_would_charge,omitzero"`
	PaidAt           time.Time `json:"paid_at,omitzero"`
}

// Summary counts the report's cases.
type Summary struct {
	Cases          int                        `json:"cases"`
	WouldCharges   int                        `json:"would_charges"`
	StripeAttempts int                        `json:"stripe_attempts"`
	RecoveredBy    map[recoup.RecoveredBy]int `json:"recovered_by"`
	Unpaid         int                        `json:"unpaid"`
	// PaidAfterRecoupWouldCharge counts invoices paid (by anyone) after recoup's first would-be
	// charge: the payments a recoup charge might have come first for.
	PaidAfterRecoupWouldCharge int `json:"paid_after_recoup_would_charge"`
}

// Report is the shadow report.
type Report struct {
	Cases   []Case  `json:"cases"`
	Summary Summary `json:"summary"`
}

// Build reads the newest cases (at most limit) and compares those observe-only mode touched.
func Build(ctx context.Context, store recoup.Store, limit int) (Report, error) {
	r := Report{Summary: Summary{RecoveredBy: map[recoup.RecoveredBy]int{}}}
	var before int64
	for seen := 0; seen < limit; {
		page, err := store.Cases(ctx, recoup.CaseFilter{Before: before, Limit: min(recoup.MaxCaseLimit, limit-seen)})
		if err != nil {
			return Report{}, fmt.Errorf("shadow report: %w", err)
		}
		for _, c := range page.Cases {
			seen++
			cr, ok, err := compare(ctx, store, c)
			if err != nil {
				return Report{}, err
			}
			if ok {
				r.Cases = append(r.Cases, cr)
				r.Summary.add(cr, c)
			}
		}
		if page.Next == 0 {
			break
		}
		before = page.Next
	}
	return r, nil
}

func (s *Summary) add(cr Case, c recoup.Case) {
	s.Cases++
	s.StripeAttempts += len(cr.Stripe)
	for _, e := range cr.Recoup {
		if strings.HasPrefix(e.What, "charge") {
			s.WouldCharges++
		}
	}
	if c.State == recoup.StateRecovered {
		s.RecoveredBy[c.RecoveredBy]++
		if !cr.FirstWouldCharge.IsZero() && cr.PaidAt.After(cr.FirstWouldCharge) {
			s.PaidAfterRecoupWouldCharge++
		}
	} else if c.State != recoup.StateClosed {
		s.Unpaid++
	}
}

// compare builds the comparison of one case; false if observe-only mode never touched it.
func compare(ctx context.Context, store recoup.Store, c recoup.Case) (Case, bool, error) {
	tl, err := store.Timeline(ctx, c.ID)
	if err != nil {
		return Case{}, false, fmt.Errorf("shadow report: case %d: %w", c.ID, err)
	}
	cr := Case{CaseID: c.ID, InvoiceID: c.InvoiceID, Amount: c.Amount, Segment: c.Segment, State: c.State}
	for _, e := range tl {
		if e.Kind == recoup.EntryDecision || !strings.HasPrefix(e.Summary, engine.ObservePrefix) {
			continue
		}
		what := wouldDo(e)
		if strings.HasPrefix(what, "charge") && cr.FirstWouldCharge.IsZero() {
			cr.FirstWouldCharge = e.At
		}
		cr.Recoup = append(cr.Recoup, Event{At: e.At, What: what})
	}
	if len(cr.Recoup) == 0 && c.ShadowCharges == 0 {
		return Case{}, false, nil
	}
	attempts, err := store.Attempts(ctx, c.ID)
	if err != nil {
		return Case{}, false, fmt.Errorf("shadow report: case %d: %w", c.ID, err)
	}
	for _, a := range attempts {
		if a.Source != recoup.SourceStripe {
			continue
		}
		what := "retried: " + string(a.Status)
		if a.N == 1 {
			what = "first charge: " + string(a.Status)
		}
		if a.Decline != nil {
			what += " (" + a.Decline.Reason() + ")"
		}
		cr.Stripe = append(cr.Stripe, Event{At: a.StartedAt, What: what})
	}
	switch c.State {
	case recoup.StateRecovered:
		cr.PaidAt = c.ResolvedAt
		cr.Outcome = fmt.Sprintf("paid %s (%s)", day(c.ResolvedAt), c.RecoveredBy.Words())
	case recoup.StateClosed:
		cr.Outcome = "closed " + day(c.ResolvedAt) + ": " + c.ClosedReason
	default:
		cr.Outcome = "still unpaid"
	}
	return cr, true, nil
}

// wouldDo turns an observe-only timeline entry into a short phrase: "charge 2", "message 1
// (update_card)", "final action cancel_subscription".
func wouldDo(e recoup.TimelineEntry) string {
	var d struct {
		Would       string `json:"would"`
		N           int    `json:"n"`
		FinalAction string `json:"final_action"`
		Step        *int   `json:"step"`
		Template    string `json:"template"`
	}
	_ = json.Unmarshal(e.Detail, &d)
	switch {
	case d.Would == "charge":
		return fmt.Sprintf("charge %d", d.N)
	case d.Would == "final_action":
		return "final action " + d.FinalAction
	case e.Kind == recoup.EntryMessage && d.Step != nil:
		return fmt.Sprintf("message %d (%s)", *d.Step, d.Template)
	}
	return strings.TrimPrefix(e.Summary, engine.ObservePrefix)
}

func day(t time.Time) string { return t.UTC().Format("Mon 2 Jan 15:04") }

// Write renders the report as text, one block per case, times in UTC.
func Write(w io.Writer, r Report) error {
	var b strings.Builder
	s := r.Summary
	fmt.Fprintf(&b, "observe-only report: %d cases; recoup would have charged %d times, Stripe charged %d times\n",
		s.Cases, s.WouldCharges, s.StripeAttempts)
	fmt.Fprintf(&b, "outcomes: %d unpaid", s.Unpaid)
	for _, by := range []recoup.RecoveredBy{recoup.ByStripeRetry, recoup.ByCustomerPaid, recoup.ByOutOfBand, recoup.ByRecoupRetry,
		recoup.ByCardUpdater, recoup.ByCustomerNewCard} {
		if n := s.RecoveredBy[by]; n > 0 {
			fmt.Fprintf(&b, ", %d paid (%s)", n, by.Words())
		}
	}
	fmt.Fprintf(&b, "; %d paid after recoup's first would-be charge\n", s.PaidAfterRecoupWouldCharge)
	for _, c := range r.Cases {
		fmt.Fprintf(&b, "\ncase %d · invoice %s · %s · segment %s\n", c.CaseID, c.InvoiceID, c.Amount, orDefault(c.Segment))
		fmt.Fprintf(&b, "  recoup would have: %s\n", events(c.Recoup))
		fmt.Fprintf(&b, "  Stripe did:        %s\n", events(c.Stripe))
		fmt.Fprintf(&b, "  outcome:           %s\n", c.Outcome)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func events(es []Event) string {
	if len(es) == 0 {
		return "nothing"
	}
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.What + " " + day(e.At)
	}
	return strings.Join(parts, "; ")
}

func orDefault(s string) string {
	if s == "" {
		return "default"
	}
	return s
}
