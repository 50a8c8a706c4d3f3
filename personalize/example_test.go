package personalize_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/personalize"
)

// The wiring, end to end, against a local stand-in for a self-hosted OpenAI-compatible server.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c1","object":"chat.completion","created":1,"model":"local-model","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"{\"subject\":\"Maria, a quick note about your Pro plan\",\"body\":\"Hi Maria,\\n\\nWe could not collect 49.00 USD for your Pro plan this time. You can check your card here: {{update_link}}\\n\\nThank you for being with us.\"}"}}],"usage":{"prompt_tokens":600,"completion_tokens":80,"total_tokens":680}}`)
	}))
	defer srv.Close()

	// cmd/recoup parses this once; the key comes from the variable the configuration names.
	cfg := personalize.Config{
		Provider: personalize.ProviderOpenAI, BaseURL: srv.URL + "/v1/", Model: "local-model",
		APIKeyEnv: "RECOUP_LLM_API_KEY", MonthlyCallCap: 500, Timeout: 10 * time.Second,
	}
	lookupEnv := func(string) (string, bool) { return "sk-local", true } // os.LookupEnv in cmd/recoup
	if err := cfg.ResolveKey(lookupEnv); err != nil {
		panic(err)
	}
	p, err := personalize.New(cfg, personalize.NewMemoryUsage())
	if err != nil {
		panic(err)
	}

	// The engine renders the step's template with the placeholder, then asks for a rewrite.
	c := recoup.Case{ID: 7, InvoiceID: "in_1Example00", CustomerEmail: "maria@example.com",
		Amount: recoup.Money{Amount: 4900, Currency: "usd"}, Category: recoup.CategoryFunds}
	m := recoup.Message{Step: 1, Tone: "gentle", Subject: "Your payment didn't go through",
		Text: "Hi Maria,\n\nWe could not collect 49.00 USD for your Pro plan. Update your card here: {{update_link}}\n\nThank you."}
	req := personalize.ForMessage(c, m, personalize.Customer{FirstName: "Maria", Plan: "Pro", TenureDays: 400, Locale: "en"})
	res := p.Personalize(context.Background(), time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), req)

	subject, _ := res.WithLink("https://billing.example.com/u/TOKEN")
	fmt.Println(res.Generated, res.Fallback == "", subject)
	// Output: true true Maria, a quick note about your Pro plan
}
