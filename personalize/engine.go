package personalize

import (
	"context"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// The engine's side: ForEngine adapts a Personalizer to engine.Personalizer, and StoreUsage
// keeps the caps' counts in recoup's database.

// ForEngine returns p as the engine's Personalizer, or nil (off) when p is nil.
func ForEngine(p *Personalizer) engine.Personalizer {
	if p == nil {
		return nil
	}
	return forEngine{p}
}

type forEngine struct{ p *Personalizer }

// Personalize builds the Request from the draft's case and customer (ForMessage: only the
// allowed facts) and the base words the Rewriter wrote, and calls the model.
func (f forEngine) Personalize(ctx context.Context, now time.Time, d engine.Draft, subject, body string) engine.Personalization {
	r := ForMessage(d.Case, recoup.Message{Step: d.Step, Tone: d.Tone, Subject: subject, Text: body}, customerOf(d, now))
	res := f.p.Personalize(ctx, now, r)
	return engine.Personalization{Subject: res.Subject, Body: res.Body, Generated: res.Generated,
		Fallback: string(res.Fallback), Reason: res.Reason, Raw: res.Raw, Model: res.Model}
}

// customerOf is what the model may know of the draft's customer: the first word of their name
// (else of the invoice's customer name), their first preferred locale, and how long they have
// been a customer. The plan's name is not known to a case: it is left out.
func customerOf(d engine.Draft, now time.Time) Customer {
	var who Customer
	for _, name := range []string{d.Customer.Name, d.Invoice.CustomerName} {
		if f := strings.Fields(name); len(f) > 0 {
			who.FirstName = f[0]
			break
		}
	}
	if len(d.Customer.Locales) > 0 {
		who.Locale = d.Customer.Locales[0]
	}
	if !d.Customer.Created.IsZero() && now.After(d.Customer.Created) {
		who.TenureDays = int(now.Sub(d.Customer.Created) / (24 * time.Hour))
	}
	return who
}

// StoreUsage is a UsageStore in recoup's database (sqlite or postgres: recoup.LLMUsageStore),
// so the caps hold across restarts and across processes sharing the database.
type StoreUsage struct{ Store recoup.LLMUsageStore }

var _ UsageStore = StoreUsage{}

// Usage returns the month's totals.
func (s StoreUsage) Usage(ctx context.Context, month string) (Usage, error) {
	u, err := s.Store.LLMUsage(ctx, month)
	return Usage(u), err
}

// AddUsage adds delta to the month atomically and returns the new totals.
func (s StoreUsage) AddUsage(ctx context.Context, month string, delta Usage) (Usage, error) {
	u, err := s.Store.AddLLMUsage(ctx, month, recoup.LLMUsage(delta))
	return Usage(u), err
}
