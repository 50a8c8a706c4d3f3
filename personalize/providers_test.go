package personalize

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
)

// A case full of what must never reach a model: ids, an email address, card details.
func sensitiveCase() (recoup.Case, recoup.Message) {
	c := recoup.Case{
		ID: 987654, InvoiceID: "in_1QxYzAbCdEfGh", CustomerID: "cus_Q1w2e3r4t5y6", SubscriptionID: "sub_1AbCdEfGhIj",
		CustomerEmail: "maria.garcia@example.com", Amount: recoup.Money{Amount: 4900, Currency: "usd"},
		State: recoup.StateScheduled, Category: recoup.CategoryFunds,
		LastDecline: &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds", CardBrand: "visa",
			CardFunding: "credit", CardCountry: "DE", NetworkDeclineCode: "51", Message: "Your card has insufficient funds."},
		PaymentMethodID: "pm_1ZyXwVuTsRqP", NewPaymentMethodID: "pm_1NmLkJiHgFeD",
	}
	r := request(ToneGentle)
	m := recoup.Message{CaseID: c.ID, InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Step: 1, Channel: "email",
		Template: "payment_failed", Tone: "gentle", To: c.CustomerEmail, Subject: r.Subject, Text: r.Body}
	return c, m
}

// The request bodies that reach each API hold only the Request's facts: no id, email address
// or card detail of the case, and no field beyond the ones listed.
func TestProvidersSendOnlyAllowedFacts(t *testing.T) {
	c, m := sensitiveCase()
	r := ForMessage(c, m, Customer{FirstName: "Maria", Plan: "Pro (monthly)", TenureDays: 400, Locale: "en"})
	forbidden := []string{
		c.InvoiceID, c.CustomerID, c.SubscriptionID, c.CustomerEmail, c.PaymentMethodID, c.NewPaymentMethodID,
		"987654", "visa", "credit", "insufficient_funds", "card_declined", "Your card has insufficient funds",
		`"email"`, `"customer_email"`, `"customer_id"`, `"invoice_id"`, `"payment_method"`, `"decline_code"`, `"card_brand"`, "last4", "exp_month", "@",
	}
	topLevel := map[string][]string{
		ProviderAnthropic: {"max_tokens", "messages", "model", "system"},
		ProviderOpenAI:    {"max_completion_tokens", "messages", "model"},
	}
	factKeys := []string{"amount_due", "base_body", "base_subject", "customer_tenure", "first_name", "locale", "message_number", "plan", "tone", "why_the_payment_failed"}
	for _, prov := range providers {
		t.Run(prov, func(t *testing.T) {
			p, f, _ := setup(t, prov, nil)
			f.reply = draftJSON("About your payment", goodGentle)
			if res := p.Personalize(context.Background(), now, r); !res.Generated {
				t.Fatalf("not generated: %s %s", res.Fallback, res.Reason)
			}
			body := f.lastBody()
			for _, s := range forbidden {
				if strings.Contains(strings.ToLower(string(body)), strings.ToLower(s)) {
					t.Errorf("the request body holds %q:\n%s", s, body)
				}
			}
			var top map[string]json.RawMessage
			if err := json.Unmarshal(body, &top); err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(maps.Keys(top)); !slices.Equal(got, topLevel[prov]) {
				t.Errorf("top-level fields = %v, want %v", got, topLevel[prov])
			}
			// The facts travel as one JSON object in the user message: exactly the Request's.
			user := userMessage(t, prov, top["messages"])
			var facts map[string]any
			if err := json.Unmarshal([]byte(user[strings.Index(user, "{"):]), &facts); err != nil {
				t.Fatalf("user message: %v\n%s", err, user)
			}
			if got := slices.Sorted(maps.Keys(facts)); !slices.Equal(got, factKeys) {
				t.Errorf("facts = %v, want %v", got, factKeys)
			}
		})
	}
}

// userMessage returns the text of the one user message in a request's messages.
func userMessage(t *testing.T, prov string, raw json.RawMessage) string {
	t.Helper()
	var msgs []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(raw, &msgs); err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, m := range msgs {
		if m.Role != "user" {
			continue
		}
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			users = append(users, s)
			continue
		}
		var blocks []struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(m.Content, &blocks); err != nil || len(blocks) != 1 {
			t.Fatalf("%s user content %s", prov, m.Content)
		}
		users = append(users, blocks[0].Text)
	}
	if len(users) != 1 {
		t.Fatalf("%d user messages", len(users))
	}
	return users[0]
}

// Credentials, base URL and headers come from the Config alone, whatever the environment holds.
func TestProvidersIgnoreTheEnvironment(t *testing.T) {
	for _, kv := range [][2]string{
		{"ANTHROPIC_API_KEY", "env-secret"}, {"ANTHROPIC_AUTH_TOKEN", "env-secret"}, {"ANTHROPIC_BASE_URL", "http://127.0.0.1:1/"},
		{"ANTHROPIC_CUSTOM_HEADERS", "X-Env-Leak: env-secret"}, {"ANTHROPIC_PROFILE", "env-secret"},
		{"OPENAI_API_KEY", "env-secret"}, {"OPENAI_BASE_URL", "http://127.0.0.1:1/v1/"}, {"OPENAI_ORG_ID", "env-secret"},
		{"OPENAI_PROJECT_ID", "env-secret"}, {"OPENAI_CUSTOM_HEADERS", "X-Env-Leak: env-secret"},
	} {
		t.Setenv(kv[0], kv[1])
	}
	for _, prov := range providers {
		t.Run(prov, func(t *testing.T) {
			p, f, _ := setup(t, prov, nil)
			f.reply = draftJSON("About your payment", goodGentle)
			if res := p.Personalize(context.Background(), now, request(ToneGentle)); !res.Generated {
				t.Fatalf("not generated (calls to the configured base URL: %d): %s %s", f.calls(), res.Fallback, res.Reason)
			}
			h := f.lastHeader()
			// Each API's documented authentication: x-api-key for Anthropic, a bearer token for OpenAI.
			keyHeader, want := "Authorization", "Bearer sk-test-config-key"
			if prov == ProviderAnthropic {
				keyHeader, want = "X-Api-Key", "sk-test-config-key"
			}
			if got := h.Get(keyHeader); got != want {
				t.Errorf("%s = %q, want the configured key", keyHeader, got)
			}
			for name, vs := range h {
				for _, v := range vs {
					if strings.Contains(v, "env-secret") {
						t.Errorf("header %s = %q comes from the environment", name, v)
					}
				}
			}
		})
	}
}

// A self-hosted OpenAI-compatible server may need no key: none is sent.
func TestOpenAIWithoutKey(t *testing.T) {
	p, f, _ := setup(t, ProviderOpenAI, func(c *Config) { c.APIKey = "" })
	f.reply = draftJSON("About your payment", goodGentle)
	if res := p.Personalize(context.Background(), now, request(ToneGentle)); !res.Generated {
		t.Fatalf("not generated: %s %s", res.Fallback, res.Reason)
	}
	if got := f.lastHeader().Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
}

func TestForMessage(t *testing.T) {
	c, m := sensitiveCase()
	got := ForMessage(c, m, Customer{FirstName: "Maria", Plan: "Pro (monthly)", TenureDays: 400, Locale: "en-GB"})
	want := Request{FirstName: "Maria", Plan: "Pro (monthly)", Amount: "49.00 USD", Reason: Reason(recoup.CategoryFunds),
		Step: 2, Tone: ToneGentle, TenureDays: 400, Locale: "en-GB", Subject: m.Subject, Body: m.Text}
	if got != want {
		t.Errorf("ForMessage = %+v\nwant %+v", got, want)
	}
	if err := got.check(); err != nil {
		t.Errorf("check: %v", err)
	}
}

// A customer whose language is unknown gets the templates' language.
func TestForMessageDefaultsToEnglish(t *testing.T) {
	c, m := sensitiveCase()
	if got := ForMessage(c, m, Customer{Plan: "Pro"}); got.Locale != "en" || got.FirstName != "" {
		t.Errorf("ForMessage = %+v", got)
	}
}

func TestTenure(t *testing.T) {
	for days, want := range map[int]string{
		0: "a new customer (less than a month)", 45: "a customer for 1 month", 200: "a customer for 6 months",
		400: "a customer for 1 year", 1100: "a customer for 3 years",
	} {
		if got := Tenure(days); got != want {
			t.Errorf("Tenure(%d) = %q, want %q", days, got, want)
		}
	}
}
