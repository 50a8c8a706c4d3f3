package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/timing"
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
	// Priors are what the timing model believes before any outcome (retry.model.priors): the
	// public ones unless turned off, and the merchant's own paydays.
	Priors timing.Priors
	// FirstRetryBound (retry.model.first_retry_bound) keeps a first retry no later than the
	// fixed schedule would place it unless the model has evidence for later (docs/retry-timing.md,
	// Cold start). On by default; false turns it off.
	FirstRetryBound bool
	// Lookahead (retry.model.lookahead): with two charges or more left, a time is worth its
	// charge plus the best one that could follow it (timing.Options.Lookahead), so a case does
	// not wait for its single likeliest time while its budget would reach that time anyway.
	Lookahead bool
	// Exploration (retry.model.exploration) is how widely the model's weights are drawn around
	// their means when a time is chosen: 1 samples the whole posterior (Thompson sampling), 0.5
	// half its standard deviation, 0 takes the means (timing.Options.Narrow is 1 − Exploration).
	Exploration float64
}

// DefaultModelWindow is how far after the first failure the model strategy looks when
// retry.max_duration is not set: a whole monthly pay cycle.
const DefaultModelWindow = 30 * 24 * time.Hour

var defaultModel = ModelSettings{DailyDiscount: 0.97, MinProbability: 0.05, FirstHour: 6, LastHour: 21, Priors: timing.PublicPriors(), FirstRetryBound: true, Exploration: 1}

type model struct {
	DailyDiscount  *float64 `yaml:"daily_discount"`
	MinProbability *float64 `yaml:"min_probability"`
	Hours          []int    `yaml:"hours"`
	Priors         *priors  `yaml:"priors"`
	// FirstRetryBound: no first retry later than the fixed schedule's without evidence.
	FirstRetryBound *bool `yaml:"first_retry_bound"`
	// Lookahead: with two charges or more left, count the best charge that could follow.
	Lookahead *bool `yaml:"lookahead"`
	// Exploration: how widely weights are drawn around their means (1: Thompson sampling).
	Exploration *float64 `yaml:"exploration"`
}

// priors are retry.model.priors.
type priors struct {
	// Public false turns the public priors off: every timing feature starts neutral.
	Public *bool `yaml:"public"`
	// Paydays are the merchant's customers' pay schedules, for every country;
	// PaydaysByCountry for one country (ISO 3166-1 alpha-2).
	Paydays          []string            `yaml:"paydays"`
	PaydaysByCountry map[string][]string `yaml:"paydays_by_country"`
}

// priors validates retry.model.priors. Only the top-level policy has them: every segment shares
// one timing model.
func (v *validator) priors(base string, in *priors, out *timing.Priors) {
	if base != "$.retry.model.priors" {
		v.fail(base, "priors are set once, at retry.model.priors: all segments share one timing model")
		return
	}
	if in.Public != nil {
		out.Public = *in.Public
	}
	names := func(path string, list []string) []string {
		if len(list) == 0 {
			v.fail(path, "list at least one pay schedule, e.g. [day:1, last_business_day, weekly:fri]")
		}
		var ok []string
		for i, n := range list {
			if _, err := timing.ParseSchedule(n); err != nil {
				v.fail(fmt.Sprintf("%s[%d]", path, i), "%v", err)
				continue
			}
			ok = append(ok, strings.ToLower(strings.TrimSpace(n)))
		}
		return ok
	}
	pay := map[string][]string{}
	if in.Paydays != nil {
		pay[""] = names(base+".paydays", in.Paydays)
	}
	for _, c := range slices.Sorted(func(yield func(string) bool) {
		for c := range in.PaydaysByCountry {
			if !yield(c) {
				return
			}
		}
	}) {
		path := base + ".paydays_by_country." + c
		if len(c) != 2 || strings.ToUpper(c) != c {
			v.fail(path, "a country is two upper-case letters (ISO 3166-1 alpha-2), e.g. GB, got %q", c)
			continue
		}
		pay[c] = names(path, in.PaydaysByCountry[c])
	}
	if len(pay) > 0 {
		out.Paydays = pay
	}
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
		if m.Priors != nil {
			v.priors(base+".model.priors", m.Priors, &out.Model.Priors)
		}
		if m.FirstRetryBound != nil {
			out.Model.FirstRetryBound = *m.FirstRetryBound
		}
		if m.Lookahead != nil {
			out.Model.Lookahead = *m.Lookahead
		}
		if x := m.Exploration; x != nil {
			if *x < 0 || *x > 1 {
				v.fail(base+".model.exploration", "must be from 0 (the model's means) to 1 (Thompson sampling), got %v", *x)
			}
			out.Model.Exploration = *x
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
func (p *Policy) modelRetry(f Facts, k int, verdict decline.Verdict, now time.Time, in map[string]string, windowEnd time.Time, final, waitOrFinal func(string) recoup.Decision) recoup.Decision {
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
	if k == 0 && len(p.Retry.Days) > 0 {
		// Where the fixed schedule would make the first retry: without evidence for a later
		// time, the timing model makes it no later (docs/retry-timing.md, "Cold start").
		in["schedule_at"] = p.scheduleAt(c, 0, verdict, now).UTC().Format(time.RFC3339)
	}
	return recoup.Decision{Kind: recoup.DecideRetry, At: at, Inputs: in,
		Reason: fmt.Sprintf("charge %d of %d at the time the timing model finds most likely to succeed before %s", k+1, p.Retry.MaxAttempts,
			until.In(p.Location).Format("Mon 2 Jan"))}
}
