package personalize

import (
	"context"
	"net/http"
	"strings"
)

// Provider turns a Request into a Draft by asking a language model. On an error the Draft may
// still carry the raw output and the tokens used (output that could not be parsed), so that
// the call is audited and counted against the caps.
type Provider interface {
	Generate(ctx context.Context, r Request) (Draft, error)
}

// AnthropicVersion is the version of the Messages API the Anthropic provider speaks (the
// anthropic-version header). The request and response fields used here are the same in every
// version since.
const AnthropicVersion = "2023-06-01"

// Anthropic is a Provider over Anthropic's Messages API (POST {base}v1/messages), a thin
// client of the documented HTTP API: one JSON request, one JSON answer, no streaming.
type Anthropic struct {
	api       apiClient
	url       string
	key       string
	model     string
	maxTokens int64
	limits    Limits
}

var _ Provider = (*Anthropic)(nil)

// NewAnthropic returns an Anthropic provider for a validated Config. Everything comes from the
// Config: nothing is read from the environment (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, ...),
// and no telemetry is sent that could carry the prompt.
func NewAnthropic(c Config) *Anthropic {
	return &Anthropic{api: newAPIClient("anthropic", c), url: c.BaseURL + "v1/messages", key: c.APIKey,
		model: c.Model, maxTokens: c.MaxOutputTokens, limits: c.limits()}
}

// anthropicRequest is the body of POST /v1/messages: exactly these fields are sent.
type anthropicRequest struct {
	Model     string             `json:"model"`
	MaxTokens int64              `json:"max_tokens"`
	System    string             `json:"system"`
	Messages  []anthropicMessage `json:"messages"`
}

type anthropicMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// anthropicResponse holds the fields of a message that recoup reads.
type anthropicResponse struct {
	Model   string `json:"model"`
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	Usage struct {
		InputTokens              int64 `json:"input_tokens"`
		OutputTokens             int64 `json:"output_tokens"`
		CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	} `json:"usage"`
}

// Generate asks the model for one message.
func (p *Anthropic) Generate(ctx context.Context, r Request) (Draft, error) {
	pr := buildPrompt(r, p.limits)
	h := http.Header{"Anthropic-Version": {AnthropicVersion}}
	if p.key != "" {
		h.Set("X-Api-Key", p.key)
	}
	var msg anthropicResponse
	err := p.api.post(ctx, p.url, h, anthropicRequest{
		Model: p.model, MaxTokens: p.maxTokens, System: pr.System,
		Messages: []anthropicMessage{{Role: "user", Content: pr.User}},
	}, &msg)
	if err != nil {
		return Draft{}, err
	}
	var raw strings.Builder
	for _, b := range msg.Content {
		if b.Type == "text" {
			raw.WriteString(b.Text)
		}
	}
	d := Draft{
		Raw:          raw.String(),
		Model:        msg.Model,
		InputTokens:  msg.Usage.InputTokens + msg.Usage.CacheCreationInputTokens + msg.Usage.CacheReadInputTokens,
		OutputTokens: msg.Usage.OutputTokens,
	}
	d.Subject, d.Body, err = parseDraft(d.Raw)
	return d, err
}

// OpenAI is a Provider over the chat completions API (POST {base}chat/completions, the base
// ending in /v1/), a thin client of the documented HTTP API. Self-hosted servers that speak
// this API (vLLM, Ollama, llama.cpp's server, LiteLLM, ...) work through their /v1/ base URL.
type OpenAI struct {
	api       apiClient
	url       string
	key       string
	model     string
	maxTokens int64
	limits    Limits
}

var _ Provider = (*OpenAI)(nil)

// NewOpenAI returns an OpenAI-compatible provider for a validated Config. Nothing comes from
// the environment (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, ...). Without a key (a
// self-hosted server) no Authorization header is sent.
func NewOpenAI(c Config) *OpenAI {
	return &OpenAI{api: newAPIClient("openai", c), url: c.BaseURL + "chat/completions", key: c.APIKey,
		model: c.Model, maxTokens: c.MaxOutputTokens, limits: c.limits()}
}

// openAIRequest is the body of POST /v1/chat/completions: exactly these fields are sent.
type openAIRequest struct {
	Model               string          `json:"model"`
	Messages            []openAIMessage `json:"messages"`
	MaxCompletionTokens int64           `json:"max_completion_tokens"`
}

type openAIMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// openAIResponse holds the fields of a chat completion that recoup reads.
type openAIResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
}

// Generate asks the model for one message.
func (p *OpenAI) Generate(ctx context.Context, r Request) (Draft, error) {
	pr := buildPrompt(r, p.limits)
	h := http.Header{}
	if p.key != "" {
		h.Set("Authorization", "Bearer "+p.key)
	}
	var resp openAIResponse
	err := p.api.post(ctx, p.url, h, openAIRequest{
		Model:               p.model,
		Messages:            []openAIMessage{{Role: "system", Content: pr.System}, {Role: "user", Content: pr.User}},
		MaxCompletionTokens: p.maxTokens,
	}, &resp)
	if err != nil {
		return Draft{}, err
	}
	d := Draft{Model: resp.Model, InputTokens: resp.Usage.PromptTokens, OutputTokens: resp.Usage.CompletionTokens}
	if len(resp.Choices) > 0 {
		d.Raw = resp.Choices[0].Message.Content
	}
	d.Subject, d.Body, err = parseDraft(d.Raw)
	return d, err
}
