package policy

import (
	"fmt"
	"strconv"
	"time"

	"github.com/recoup-hq/recoup"
)

// Retry strategies.
const (
	StrategySchedule = "schedule" // retry on the fixed days of retry.schedule_days
	StrategyModel    = "model"    // the learned timing model picks each retry's time
)

// ModelSettings tune the learned timing strategy.
type ModelSettings struct {
	// DailyDiscount is what a recovery one day later is worth relative to one now.
	DailyDiscount float64
	// MinProbability is the least sampled success probability worth a charge.
	MinProbability float64
	// FirstHour and LastHour bound the customer's local hours at which retries are made.
	FirstHour, LastHour int
}

// DefaultModelWindow is how far after the first failure the model strategy looks when
// retry.max_duration is not set: a whole monthly pay cycle.
const DefaultModelWindow = 30 * 24 * time.Hour

var defaultModel = ModelSettings{DailyDiscount: 0.97, MinProbability: 0.05, FirstHour: 6, LastHour: 21}

type model struct {
	DailyDiscount  *float64 `yaml:"daily_discount"`
	MinProbability *float64 `yaml:"min_probability"`
	Hours          []int    `yaml:"hours"`
}

func (v *validator) timing(base string, r *retry, out *Retry) {
	if r.Strategy != nil {
		switch *r.Strategy {
		case StrategySchedule, StrategyModel:
			out.Strategy = *r.Strategy
		default:
			v.fail(base+".strategy", "unknown strategy %q: use schedule (retry.schedule_days) or model (learned timing)", *r.Strategy)
		}
	}
	if r.Technical != nil {
		out.Technical = nil
		for i, s := range r.Technical {
			d := v.duration(fmt.Sprintf("%s.technical[%d]", base, i), s, time.Minute, 48*time.Hour)
			out.Technical = append(out.Technical, d)
		}
		if len(out.Technical) > 10 {
			v.fail(base+".technical", "at most 10 rapid retries, got %d (each counts against the case budget)", len(out.Technical))
		}
	}
	if m := r.Model; m != nil {
		if x := m.DailyDiscount; x != nil {
			if *x <= 0.5 || *x > 1 {
				v.fail(base+".model.daily_discount", "must be above 0.5 and at most 1, got %v", *x)
			}
			out.Model.DailyDiscount = *x
		}
		if x := m.MinProbability; x != nil {
			if *x < 0 || *x >= 1 {
				v.fail(base+".model.min_probability", "must be 0 or more and below 1, got %v", *x)
			}
			out.Model.MinProbability = *x
		}
		if m.Hours != nil {
			if len(m.Hours) != 2 || m.Hours[0] < 0 || m.Hours[1] > 23 || m.Hours[0] > m.Hours[1] {
				v.fail(base+".model.hours", "must be [first, last] local hours, 0-23, e.g. [7, 21]")
			} else {
				out.Model.FirstHour, out.Model.LastHour = m.Hours[0], m.Hours[1]
			}
		}
	}
}

// rapid is the k-th rapid retry of a technical failure: processing errors and unavailable
// issuers mostly clear within minutes or hours, so the gap between charges does not apply.
func (p *Policy) rapid(f Facts, k int, now time.Time, in map[string]string) recoup.Decision {
	base := f.Case.LastAttemptAt
	if base.IsZero() {
		base = f.Case.FirstFailedAt
	}
	at := later(base.Add(p.Retry.Technical[k]), now)
	in["rapid_retry"] = strconv.Itoa(k + 1)
	return recoup.Decision{Kind: recoup.DecideRetry, At: at, Inputs: in,
		Reason: fmt.Sprintf("%s is a technical failure: rapid retry %d of %d, %s after the last charge", f.Verdict.Rule, k+1, len(p.Retry.Technical), p.Retry.Technical[k])}
}

// modelRetry asks for a retry of the same card under the model strategy. The policy gives the
// window (the earliest time its rules allow, the end of retry.max_duration) and the budget; the
// engine's timing model chooses the time in it (Inputs "strategy" = "model"), or decides no time
// is worth a charge.
func (p *Policy) modelRetry(f Facts, k int, now time.Time, in map[string]string, windowEnd time.Time, final, waitOrFinal func(string) recoup.Decision) recoup.Decision {
	c := f.Case
	window := p.Retry.MaxDuration
	if window <= 0 {
		window = DefaultModelWindow
	}
	until := c.FirstFailedAt.Add(window)
	at := p.notTooSoon(c, now)
	if f.Verdict.Wait > 0 && !c.LastAttemptAt.IsZero() {
		at = later(at, c.LastAttemptAt.Add(f.Verdict.Wait))
	}
	if !at.Before(until) {
		return final(fmt.Sprintf("no retry allowed before the end of the %s retry window", days(window)))
	}
	if !windowEnd.IsZero() && windowEnd.Before(until) {
		// The policy retries this code only within a window (declines.retry_within).
		if !at.Before(windowEnd) {
			return waitOrFinal(fmt.Sprintf("no retry allowed before the end of the policy's retry window (%s)", in["decline_override"]))
		}
		until = windowEnd
	}
	in["strategy"] = StrategyModel
	in["until"] = until.UTC().Format(time.RFC3339)
	in["budget_left"] = strconv.Itoa(p.Retry.MaxAttempts - k)
	return recoup.Decision{Kind: recoup.DecideRetry, At: at, Inputs: in,
		Reason: fmt.Sprintf("charge %d of %d at the time the timing model finds most likely to succeed before %s", k+1, p.Retry.MaxAttempts,
			until.In(p.Location).Format("Mon 2 Jan"))}
}
