package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

const llmPolicy = e2ePolicy + `
campaign:
  hour: 0
  quiet_hours: [0, 0]
  steps:
    - {day: 0, template: update_card, tone: helpful, categories: [hard]}
    - {day: 1, template: update_card, tone: helpful, categories: [hard]}
`

// fakeModel is an OpenAI-compatible chat completions server on 127.0.0.1: it answers each call
// with the next of its replies and keeps what it was sent.
type fakeModel struct {
	mu      sync.Mutex
	replies []string
	bodies  []string
	auth    []string
}

func (f *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies, f.auth = append(f.bodies, string(body)), append(f.auth, r.Header.Get("Authorization"))
	reply := ""
	if len(f.replies) > 0 {
		reply, f.replies = f.replies[0], f.replies[1:]
	}
	f.mu.Unlock()
	if r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-e2e", "object": "chat.completion", "created": 1763776800, "model": "e2e-model",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": reply}}},
		"usage":   map[string]any{"prompt_tokens": 700, "completion_tokens": 150, "total_tokens": 850},
	})
}

func (f *fakeModel) calls() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.bodies) }

func modelReply(subject, body string) string {
	b, _ := json.Marshal(map[string]string{"subject": subject, "body": body})
	return string(b)
}

// recoup serve with personalization on, against a fake model on 127.0.0.1: the day-0 email is
// the model's text with the real link, recorded as generated with its raw output; the day-1
// answer promises a discount, so the template is sent and the fallback is recorded. The
// monthly usage is counted in the database, and the key reaches only the model's server.
func TestE2EPersonalizedMessages(t *testing.T) {
	mb := &smtpCapture{}
	srv := smtp.NewServer(mb)
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	good := "Hi there,\n\nWe could not take your latest payment for your subscription, because the card on file can no longer be used. " +
		"It only takes a minute to add a new card, and we will try the payment again right away.\n\nYou can add it on this secure page: {{update_link}}, and we will take care of the rest.\n\nThank you for staying with us."
	model := &fakeModel{replies: []string{
		modelReply("A quick fix for your Acme subscription", good),
		modelReply("A gift for you", "Hi there,\n\nGood news: update your card now and get 20% off your next month, on us. Just use this link: {{update_link}}"),
	}}
	modelSrv := httptest.NewServer(model)
	t.Cleanup(modelSrv.Close)
	t.Setenv("RECOUP_E2E_MODEL_KEY", "sk-e2e-model-key")

	w := newWorld(t)
	w.policyYAML = llmPolicy
	p := w.start(sqliteURL(t), func(c *ServeCmd) {
		c.CommsFlags = CommsFlags{
			SMTPURL: "smtp://" + ln.Addr().String(), SMTPInsecure: true, EmailFrom: "Acme Billing <billing@acme.example>",
			PublicURL: "http://127.0.0.1:1", LinkSecret: "an-e2e-link-secret-of-32-characters!", BrandName: "Acme",
		}
		c.LLMFlags = LLMFlags{LLMProvider: "openai", LLMBaseURL: modelSrv.URL + "/v1/", LLMModel: "e2e-model", LLMAPIKeyEnv: "RECOUP_E2E_MODEL_KEY"}
	})
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "ada@example.com", Decline: stripefake.CardDeclined("stolen_card")})
	if err != nil {
		t.Fatal(err)
	}
	p.waitFor("the day-0 email", func() bool { return mb.count() == 1 })
	mb.mu.Lock()
	_, text := textPart(t, mb.msgs[0])
	mb.mu.Unlock()
	if !strings.Contains(text, "You can add it on this secure page: http://127.0.0.1:1/u/") || strings.Contains(text, "{{update_link}}") ||
		!strings.Contains(text, "Unsubscribe from payment emails: http://127.0.0.1:1/unsubscribe/") {
		t.Fatalf("day-0 email is not the model's text with the links:\n%s", text)
	}
	if model.calls() != 1 || model.auth[0] != "Bearer sk-e2e-model-key" {
		t.Fatalf("model calls %d, auth %q", model.calls(), model.auth)
	}
	for _, leak := range []string{r.InvoiceID, r.CustomerID, "ada@example.com", "/u/"} {
		if strings.Contains(model.bodies[0], leak) {
			t.Errorf("the model was sent %q:\n%s", leak, model.bodies[0])
		}
	}
	if !strings.Contains(model.bodies[0], "base_body") {
		t.Errorf("the model was not sent the base message:\n%s", model.bodies[0])
	}

	v := p.waitState(r.InvoiceID, recoup.StateAwaitingCustomer)
	w.clock.advanceTo(time.Now().Add(25 * time.Hour))
	p.waitFor("the day-1 email", func() bool { return mb.count() == 2 })
	mb.mu.Lock()
	_, text = textPart(t, mb.msgs[1])
	mb.mu.Unlock()
	if strings.Contains(text, "20%") || !strings.Contains(text, "Update your payment method: http://127.0.0.1:1/u/") {
		t.Fatalf("day-1 email is not the template:\n%s", text)
	}

	ms := p.waitSent(v.Case.ID, 2)
	if m := ms[0]; !m.Generated || m.Fallback != "" || m.Model != "e2e-model" || !strings.Contains(m.Generation, "this secure page") || m.Status != recoup.MessageSent {
		t.Errorf("day-0 message %+v, want generated and audited", m)
	}
	if m := ms[1]; m.Generated || m.Fallback != "promise" || !strings.Contains(m.Generation, "20% off") || m.Status != recoup.MessageSent {
		t.Errorf("day-1 message %+v, want the template with the promise fallback recorded", m)
	}
	if v, _ := p.caseOf(r.InvoiceID); !strings.Contains(timelineText(v.Timeline), "message 1 (update_card) written from the template: the guardrails rejected") {
		t.Errorf("timeline:\n%s", timelineText(v.Timeline))
	}
	usage, err := p.app.backend.store.(recoup.LLMUsageStore).LLMUsage(t.Context(), time.Now().UTC().Format("2006-01"))
	if err != nil || usage.Calls != 2 || usage.InputTokens != 1400 || usage.OutputTokens != 300 {
		t.Errorf("usage %+v %v, want 2 calls of 700+150 tokens", usage, err)
	}
}

// The key never appears in the start-up log or a configuration error.
func TestLLMFlagsNeverShowTheKey(t *testing.T) {
	t.Setenv("RECOUP_TEST_KEY", "sk-secret-value")
	for _, f := range []LLMFlags{
		{LLMProvider: "openai", LLMModel: "m", LLMAPIKeyEnv: "RECOUP_TEST_KEY", LLMBaseURL: "http://example.com/v1/"},
		{LLMProvider: "anthropic", LLMModel: "m", LLMAPIKeyEnv: "RECOUP_TEST_KEY", LLMCostCap: 5},
		{LLMProvider: "nope", LLMModel: "m", LLMAPIKeyEnv: "RECOUP_TEST_KEY"},
		{LLMProvider: "openai", LLMModel: "m", LLMAPIKeyEnv: "RECOUP_TEST_KEY", LLMAllowedPromises: "discount, bogus"},
	} {
		err := f.validate()
		if err == nil {
			t.Errorf("%+v: no error", f)
			continue
		}
		if strings.Contains(err.Error(), "sk-secret") {
			t.Errorf("error shows the key: %v", err)
		}
		for _, v := range f.describe() {
			if s, ok := v.(string); ok && strings.Contains(s, "sk-secret") {
				t.Errorf("describe shows the key: %v", f.describe())
			}
		}
	}
	off := LLMFlags{}
	if err := off.validate(); err != nil {
		t.Errorf("off: %v", err)
	}
	if err := (&LLMFlags{LLMProvider: "openai", LLMModel: "m", LLMAPIKeyEnv: "RECOUP_NOT_SET_ANYWHERE"}).validate(); err == nil || !strings.Contains(err.Error(), "RECOUP_NOT_SET_ANYWHERE") {
		t.Errorf("an unset key variable: %v", err)
	}
}
