package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
)

// Facts are what a decision is made from: the case as it stands and what its history implies.
type Facts struct {
	Case recoup.Case
	// Verdict classifies the case's latest failure.
	Verdict decline.Verdict
	// Charges counts recoup's charges that reached the issuer (declined or paid).
	Charges int
	// Errors counts recoup's latest charges in a row whose call failed without a verdict.
	Errors int
}

// Decide returns what to do next for an unpaid, active case. It is a pure function of the
// facts, the policy and now; the reason it gives is shown on the case timeline.
func (p *Policy) Decide(f Facts, now time.Time) recoup.Decision {
	c := f.Case
	in := map[string]string{
		"policy_version": p.Version,
		"segment":        p.Segment,
		"category":       string(f.Verdict.Category),
		"rule":           f.Verdict.Rule,
		"charges":        strconv.Itoa(f.Charges),
		"max_attempts":   strconv.Itoa(p.Retry.MaxAttempts),
		"first_failed":   c.FirstFailedAt.UTC().Format(time.RFC3339),
	}
	if p.GracePeriod > 0 {
		in["grace_ends"] = c.FirstFailedAt.Add(p.GracePeriod).UTC().Format(time.RFC3339)
	}
	deadline := c.FirstFailedAt.Add(p.CustomerWait)
	final := func(reason string) recoup.Decision {
		d := recoup.Decision{Kind: recoup.DecideFinal, At: now, FinalAction: p.FinalAction, Reason: reason + "; final action: " + string(p.FinalAction), Inputs: in}
		if hold := c.FirstFailedAt.Add(p.FinalAfter); p.FinalAfter > 0 && hold.After(now) {
			d.At = hold
			d.Reason += fmt.Sprintf(", held until %s (final_after %s)", hold.In(p.Location).Format("Mon 2 Jan 15:04 MST"), days(p.FinalAfter))
		}
		if p.ManualReview {
			in["manual_review"] = "true"
			d.Reason += ", after an operator approves it"
		}
		return d
	}
	verdict, windowEnd, mustWait := p.override(f.Verdict, c, now, in)
	waitOrFinal := func(rule string) recoup.Decision {
		if !now.Before(deadline) {
			return final(fmt.Sprintf("%s; no new payment method arrived within %s", rule, days(p.CustomerWait)))
		}
		return recoup.Decision{Kind: recoup.DecideWait, At: deadline, FinalAction: p.FinalAction, Inputs: in,
			Reason: fmt.Sprintf("%s: not retrying this card; waiting for a new payment method until %s, then %s",
				rule, deadline.In(p.Location).Format("Mon 2 Jan 15:04 MST"), p.FinalAction)}
	}

	if f.Errors > 0 && f.Errors <= p.Retry.ErrorLimit {
		in["errors_in_a_row"] = strconv.Itoa(f.Errors)
		return recoup.Decision{Kind: recoup.DecideRetry, At: p.notTooSoon(c, now.Add(p.Retry.ErrorDelay)), Inputs: in,
			Reason: fmt.Sprintf("the last charge got no answer from the issuer (Stripe error %d of %d in a row): try again in %s", f.Errors, p.Retry.ErrorLimit, p.Retry.ErrorDelay)}
	}
	if c.NewPaymentMethodID != "" && f.Errors == 0 {
		in["payment_method"] = c.NewPaymentMethodID
		return recoup.Decision{Kind: recoup.DecideRetry, At: now, Inputs: in,
			Reason: "the customer's payment method changed: retry at once on the new one (the gap between charges applies to one card)"}
	}
	if !verdict.Retry && (mustWait || p.waitsForCustomer(verdict.Category)) {
		return waitOrFinal(verdict.Rule)
	}
	// A run of failed calls longer than ErrorLimit uses up a slot of the schedule, so an
	// invoice Stripe keeps refusing to charge still reaches the final action.
	k := f.Charges + f.Errors/(p.Retry.ErrorLimit+1)
	if k >= p.Retry.MaxAttempts {
		return final(fmt.Sprintf("retry budget exhausted after %d charges", k))
	}
	if f.Verdict.Category == recoup.CategoryTechnical && k < len(p.Retry.Technical) {
		return p.rapid(f, k, now, in)
	}
	if pinned := p.pinned(c.LastDecline); pinned != nil {
		// The policy pins this code to a fixed schedule, whatever the strategy.
		q := *p
		q.Retry.Days, q.Retry.Strategy = pinned, StrategySchedule
		in["decline_override"] = "schedule " + strings.Trim(fmt.Sprint(pinned), "[]")
		p = &q
	}
	if p.Retry.Strategy == StrategyModel {
		return p.modelRetry(f, k, verdict, now, in, windowEnd, final, waitOrFinal)
	}
	if k >= len(p.Retry.Days) {
		return final(fmt.Sprintf("retry schedule exhausted after %d charges", k))
	}
	slot := p.slot(c, k)
	at := p.scheduleAt(c, k, verdict, now)
	if end := c.FirstFailedAt.Add(p.Retry.MaxDuration); p.Retry.MaxDuration > 0 && at.After(end) {
		return final(fmt.Sprintf("the next charge (%s) would fall after max_duration %s", at.In(p.Location).Format("Jan 2 15:04"), days(p.Retry.MaxDuration)))
	}
	if !windowEnd.IsZero() && at.After(windowEnd) {
		return waitOrFinal(fmt.Sprintf("the next charge (%s) would fall after the policy's retry window (%s)", at.In(p.Location).Format("Jan 2 15:04"), in["decline_override"]))
	}
	in["schedule_day"] = strconv.Itoa(p.Retry.Days[k])
	reason := fmt.Sprintf("charge %d of %d: day %d of the schedule at %02d:00 %s", k+1, min(p.Retry.MaxAttempts, len(p.Retry.Days)), p.Retry.Days[k], p.Retry.Hour, p.Location)
	if !at.Equal(slot) {
		reason += fmt.Sprintf(" (slot %s moved to %s: %s)", slot.In(p.Location).Format("Jan 2 15:04"), at.In(p.Location).Format("Jan 2 15:04"), p.whyMoved(c, slot, now, verdict))
	}
	return recoup.Decision{Kind: recoup.DecideRetry, At: at, Reason: reason, Inputs: in}
}

// override applies the policy's decline-code rules to the classifier's verdict. A code listed in
// never_retry is not retried on the same card: the case waits for the customer (mustWait). A
// code listed in retry_within is retried (unless the decline is hard) until windowEnd, and
// after it waits for the customer too.
func (p *Policy) override(v decline.Verdict, c recoup.Case, now time.Time, in map[string]string) (_ decline.Verdict, windowEnd time.Time, mustWait bool) {
	d := c.LastDecline
	if d == nil {
		return v, time.Time{}, false
	}
	for _, code := range []string{d.DeclineCode, d.Code} {
		if code != "" && slices.Contains(p.Declines.NeverRetry, code) {
			in["decline_override"] = "never_retry " + code
			v.Retry, v.Rule = false, "the policy never retries "+code
			return v, time.Time{}, true
		}
	}
	code := d.DeclineCode
	if code == "" {
		code = d.Code
	}
	w, ok := p.Declines.RetryWithin[code]
	if !ok || code == "" || v.Category == recoup.CategoryHard {
		return v, time.Time{}, false
	}
	end := c.FirstFailedAt.Add(w)
	in["decline_override"] = "retry_within " + code + " " + days(w)
	in["retry_window_ends"] = end.UTC().Format(time.RFC3339)
	if now.Before(end) {
		v.Retry = true
		v.Rule = fmt.Sprintf("the policy retries %s until %s", code, end.In(p.Location).Format("Mon 2 Jan 15:04 MST"))
		return v, end, false
	}
	v.Retry, v.Rule = false, fmt.Sprintf("the policy's retry window for %s (%s) is over", code, days(w))
	return v, end, true
}

// pinned is the schedule the policy pins for the decline's code, or nil.
func (p *Policy) pinned(d *recoup.Decline) []int {
	if d == nil || len(p.Declines.Schedule) == 0 {
		return nil
	}
	for _, code := range []string{d.DeclineCode, d.Code} {
		if days, ok := p.Declines.Schedule[code]; ok && code != "" {
			return days
		}
	}
	return nil
}

// slot is the k-th (0-based) scheduled retry time. The first is Days[0] after the first
// failure's local day; each later one keeps its gap to the previous day of the schedule after
// the latest charge, so a late start shifts the schedule instead of bunching retries.
func (p *Policy) slot(c recoup.Case, k int) time.Time {
	at := p.atHour(c.FirstFailedAt, p.Retry.Days[k])
	if k > 0 && !c.LastAttemptAt.IsZero() {
		at = later(at, p.atHour(c.LastAttemptAt, p.Retry.Days[k]-p.Retry.Days[k-1]))
	}
	return at
}

// scheduleAt is when the schedule strategy makes the k-th (0-based) retry: its slot, or later to
// keep min_gap after the latest charge and the issuer's advised wait.
func (p *Policy) scheduleAt(c recoup.Case, k int, v decline.Verdict, now time.Time) time.Time {
	at := p.notTooSoon(c, later(p.slot(c, k), now))
	if v.Wait > 0 && !c.LastAttemptAt.IsZero() {
		at = later(at, c.LastAttemptAt.Add(v.Wait))
	}
	return at
}

// atHour is the configured hour, in the policy's time zone, days after t's local day.
func (p *Policy) atHour(t time.Time, days int) time.Time { return p.localAt(t, days, p.Retry.Hour) }

// localAt is hour o'clock, in the policy's time zone, days after t's local day.
func (p *Policy) localAt(t time.Time, days, hour int) time.Time {
	l := t.In(p.Location)
	return time.Date(l.Year(), l.Month(), l.Day()+days, hour, 0, 0, 0, p.Location)
}

// StepAt is when campaign step s is due for a case that first failed at firstFailed, for a
// customer in loc (nil: the policy's zone): the campaign's hour on the step's day; a same-day
// step whose hour has passed is due at once, quiet hours permitting.
func (p *Policy) StepAt(firstFailed time.Time, s Step, loc *time.Location) time.Time {
	if loc == nil {
		loc = p.Location
	}
	l := firstFailed.In(loc)
	at := time.Date(l.Year(), l.Month(), l.Day()+s.Day, p.Campaign.Hour, 0, 0, 0, loc)
	if s.Day == 0 && at.Before(firstFailed) {
		at = firstFailed
	}
	return p.OutsideQuietHours(at, loc)
}

// OutsideQuietHours returns t, or the end of the customer's quiet hours if t falls in them.
func (p *Policy) OutsideQuietHours(t time.Time, loc *time.Location) time.Time {
	from, to := p.Campaign.QuietFrom, p.Campaign.QuietTo
	if from == to {
		return t
	}
	if loc == nil {
		loc = p.Location
	}
	l := t.In(loc)
	h := l.Hour()
	quiet := (from < to && h >= from && h < to) || (from > to && (h >= from || h < to))
	if !quiet {
		return t
	}
	day := l.Day()
	if h >= to { // evening part of a quiet period that wraps midnight: it ends tomorrow
		day++
	}
	return time.Date(l.Year(), l.Month(), day, to, 0, 0, 0, loc)
}

// notTooSoon moves t to keep MinGap after the case's latest charge.
func (p *Policy) notTooSoon(c recoup.Case, t time.Time) time.Time {
	if c.LastAttemptAt.IsZero() {
		return t
	}
	return later(t, c.LastAttemptAt.Add(p.Retry.MinGap))
}

func (p *Policy) whyMoved(c recoup.Case, slot, now time.Time, v decline.Verdict) string {
	switch {
	case slot.Before(now):
		return "the slot had passed"
	case v.Wait > 0 && c.LastAttemptAt.Add(v.Wait).After(slot):
		return "the issuer's advice asks to wait " + v.Wait.String()
	default:
		return "keeping " + p.Retry.MinGap.String() + " after the last charge"
	}
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
