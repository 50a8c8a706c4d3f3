package personalize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/recoup-hq/recoup"
)

// Personalizer rewrites campaign messages with a Provider under the guardrails and the monthly
// caps. A nil *Personalizer is personalization turned off: it returns every template as it is.
type Personalizer struct {
	provider Provider
	usage    UsageStore
	cfg      Config // with defaults
}

// New returns the Personalizer that cfg describes, with the provider it names, or nil (off)
// when cfg is not enabled. usage keeps the monthly counts for the caps.
func New(cfg Config, usage UsageStore) (*Personalizer, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var p Provider
	switch c.Provider {
	case ProviderAnthropic:
		p = NewAnthropic(c)
	case ProviderOpenAI:
		p = NewOpenAI(c)
	}
	return NewWithProvider(p, c, usage)
}

// NewWithProvider returns a Personalizer over any Provider. cfg supplies the caps, prices,
// timeout and guardrail settings; it must be enabled and valid.
func NewWithProvider(p Provider, cfg Config, usage UsageStore) (*Personalizer, error) {
	c, err := cfg.withDefaults()
	switch {
	case err != nil:
		return nil, err
	case !c.Enabled():
		return nil, recoup.Errorf(recoup.EINVALID, "personalization: the config names no provider")
	case p == nil:
		return nil, recoup.Errorf(recoup.EINVALID, "personalization: no provider")
	case usage == nil:
		return nil, recoup.Errorf(recoup.EINVALID, "personalization: no usage store for the monthly caps")
	}
	return &Personalizer{provider: p, usage: usage, cfg: c}, nil
}

// Result is what to send and what to record. Subject and Body still hold Placeholder: the
// caller puts the real update link in both cases.
type Result struct {
	Subject   string
	Body      string
	Generated bool // Subject and Body are the model's; otherwise the template's
	// Fallback is why the template was sent ("" when generated or when personalization is off),
	// Reason says it in words for the case timeline.
	Fallback   Kind
	Reason     string
	Violations Violations // the guardrails' findings, when the output was rejected
	Raw        string     // the model's raw output, for the audit ("" when no call answered)
	Model      string     // the model that answered
	Usage      Usage      // what this call used and is counted for (zero when no call was made)
}

// WithLink returns the subject and body with the card-update link in place of Placeholder:
// the last step before the message goes to its channel, generated or not.
func (r Result) WithLink(link string) (subject, body string) {
	return strings.ReplaceAll(r.Subject, Placeholder, link), strings.ReplaceAll(r.Body, Placeholder, link)
}

// Personalize returns the personalized message for r, or the template with the reason it was
// kept. It never fails: a message must go out either way. now picks the month of the caps.
func (p *Personalizer) Personalize(ctx context.Context, now time.Time, r Request) Result {
	res := Result{Subject: r.Subject, Body: r.Body}
	if p == nil {
		return res
	}
	fall := func(k Kind, format string, args ...any) Result {
		res.Fallback, res.Reason = k, fmt.Sprintf(format, args...)
		return res
	}
	if err := r.check(); err != nil {
		return fall(KindRequest, "not sent to the model: %v", err)
	}
	month := MonthKey(now)
	used, err := p.usage.Usage(ctx, month)
	if err != nil {
		return fall(KindUsageStore, "reading the month's usage: %v", err)
	}
	pr := buildPrompt(r, p.cfg.limits())
	worst := p.cost(pr.size(), p.cfg.MaxOutputTokens)
	if k, why := p.capped(used, worst); k != "" {
		return fall(k, "%s", why)
	}
	// Reserve the call at its worst case before making it, so that concurrent calls from
	// several workers or processes sharing the store cannot pass a cap together.
	reserved := Usage{Calls: 1, CostMicros: worst}
	total, err := p.usage.AddUsage(ctx, month, reserved)
	if err != nil {
		return fall(KindUsageStore, "reserving the call: %v", err)
	}
	if k, why := p.capped(total.Plus(Usage{Calls: -1, CostMicros: -worst}), worst); k != "" {
		p.release(ctx, month, reserved)
		return fall(k, "%s", why)
	}

	callCtx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	d, err := p.provider.Generate(callCtx, r)
	timedOut := errors.Is(callCtx.Err(), context.DeadlineExceeded) || isTimeout(err)
	cancel()
	res.Raw, res.Model = d.Raw, d.Model
	res.Usage = Usage{Calls: 1, InputTokens: d.InputTokens, OutputTokens: d.OutputTokens, CostMicros: p.cost(d.InputTokens, d.OutputTokens)}
	if timedOut && err != nil {
		// The provider may still finish and bill the call: it stays counted at its worst case.
		res.Usage.CostMicros = worst
	} else {
		// Settle the reservation to what was used. If this fails the month stays over-counted,
		// which errs on the safe side of the caps.
		_, _ = p.usage.AddUsage(ctx, month, Usage{InputTokens: d.InputTokens, OutputTokens: d.OutputTokens, CostMicros: res.Usage.CostMicros - worst})
	}
	switch {
	case err == nil:
	case timedOut:
		return fall(KindTimeout, "the model did not answer within %s", p.cfg.Timeout)
	case errors.Is(err, errMalformed):
		return fall(KindMalformed, "%v", err)
	default:
		return fall(KindProviderError, "%s", short(err.Error(), 300))
	}
	if err := Validate(r, d.Subject, d.Body, p.cfg.rules()); err != nil {
		var vs Violations
		errors.As(err, &vs)
		res.Violations = vs
		return fall(vs[0].Kind, "the guardrails rejected the model's text: %v", vs)
	}
	res.Subject, res.Body, res.Generated = d.Subject, d.Body, true
	return res
}

// capped says which cap a call with worst-case cost `worst` would pass, given the month's usage.
func (p *Personalizer) capped(u Usage, worst int64) (Kind, string) {
	if u.Calls >= p.cfg.MonthlyCallCap {
		return KindCallCap, fmt.Sprintf("the monthly call cap (%d) is reached", p.cfg.MonthlyCallCap)
	}
	if capMicros := int64(p.cfg.MonthlyCostCap * 1e6); p.cfg.MonthlyCostCap > 0 && u.CostMicros+worst > capMicros {
		return KindCostCap, fmt.Sprintf("the monthly cost cap (%g) would be passed: %.6f spent, this call could cost up to %.6f",
			p.cfg.MonthlyCostCap, float64(u.CostMicros)/1e6, float64(worst)/1e6)
	}
	return "", ""
}

// release returns a reservation that was not used. On failure the month stays over-counted.
func (p *Personalizer) release(ctx context.Context, month string, reserved Usage) {
	_, _ = p.usage.AddUsage(ctx, month, Usage{Calls: -reserved.Calls, CostMicros: -reserved.CostMicros})
}

// cost is the price of a call in millionths of the price unit, rounded up. With prices per
// million tokens, a token costs `price` millionths.
func (p *Personalizer) cost(in, out int64) int64 {
	return int64(math.Ceil(float64(in)*p.cfg.PriceInputPerMTok + float64(out)*p.cfg.PriceOutputPerMTok))
}

// isTimeout reports whether err is a network timeout (the HTTP client's own deadline).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// short cuts s to at most n characters, on a rune boundary.
func short(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
