package personalize

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

func TestPlaceholderIsTheEngines(t *testing.T) {
	if Placeholder != engine.LinkPlaceholder {
		t.Fatalf("personalize.Placeholder %q != engine.LinkPlaceholder %q: templates and guardrails disagree", Placeholder, engine.LinkPlaceholder)
	}
}

func TestCustomerOfADraft(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		d    engine.Draft
		want Customer
	}{
		{"customer name, locale, tenure", engine.Draft{Customer: recoup.Customer{Name: "Marie Curie", Locales: []string{"fr-FR"}, Created: now.AddDate(-2, 0, 0)}},
			Customer{FirstName: "Marie", Locale: "fr-FR", TenureDays: 730}},
		{"the invoice's name", engine.Draft{Invoice: recoup.Invoice{CustomerName: " Ada  Lovelace"}}, Customer{FirstName: "Ada"}},
		{"nothing known", engine.Draft{}, Customer{}},
	} {
		if got := customerOf(tc.d, now); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// The engine adapter sends only the draft's allowed facts and returns the audit.
func TestForEngine(t *testing.T) {
	if ForEngine(nil) != nil {
		t.Fatal("a nil Personalizer must be off for the engine")
	}
	f := newFake(t, ProviderOpenAI)
	f.reply = draftJSON("Ada, about your card", "Hi Ada,\n\nYour card on file has expired, so the payment did not go through. Please add a new one here: "+Placeholder+" and we will retry it for you.")
	cfg := Config{Provider: ProviderOpenAI, BaseURL: f.baseURL(), Model: "m"}
	p, err := New(cfg, NewMemoryUsage())
	if err != nil {
		t.Fatal(err)
	}
	d := engine.Draft{Case: recoup.Case{ID: 3, InvoiceID: "in_1234567890", Category: recoup.CategoryCustomerFix, Amount: recoup.Money{Amount: 4900, Currency: "usd"}},
		Customer: recoup.Customer{Name: "Ada Lovelace", Email: "ada@example.com"}, Tone: "helpful"}
	got := ForEngine(p).Personalize(context.Background(), time.Now(), d, "Please update your card", "Your card has expired.\n\nUpdate it: "+Placeholder)
	if !got.Generated || got.Model == "" || got.Raw == "" || got.Fallback != "" {
		t.Fatalf("%+v", got)
	}
	body := string(f.lastBody())
	for _, leak := range []string{"in_1234567890", "ada@example.com", "Lovelace"} {
		if strings.Contains(body, leak) {
			t.Errorf("the model was sent %q", leak)
		}
	}
}
