package personalize

import (
	"context"
	"net/http"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// Provider turns a Request into a Draft by asking a language model. On an error the Draft may
// still carry the raw output and the tokens used (output that could not be parsed), so that
// the call is audited and counted against the caps.
type Provider interface {
	Generate(ctx context.Context, r Request) (Draft, error)
}

// Anthropic is a Provider over Anthropic's Messages API (POST {base}/v1/messages), through the
// official SDK.
type Anthropic struct {
	client    anthropic.Client
	model     string
	maxTokens int64
	limits    Limits
}

var _ Provider = (*Anthropic)(nil)

// NewAnthropic returns an Anthropic provider for a validated Config. Everything comes from the
// Config: the SDK is told to read nothing from the environment (ANTHROPIC_API_KEY,
// ANTHROPIC_BASE_URL, profiles on disk, custom headers) and to send no OpenTelemetry spans,
// which could otherwise carry the prompt.
func NewAnthropic(c Config) *Anthropic {
	opts := []aoption.RequestOption{
		aoption.WithoutEnvironmentDefaults(),
		aoption.WithBaseURL(c.BaseURL),
		aoption.WithHTTPClient(httpClient(c)),
		aoption.WithMaxRetries(c.MaxRetries),
		aoption.WithRequestTimeout(c.Timeout),
		aoption.WithoutOpenTelemetry(),
	}
	if c.APIKey != "" {
		opts = append(opts, aoption.WithAPIKey(c.APIKey))
	}
	return &Anthropic{client: anthropic.NewClient(opts...), model: c.Model, maxTokens: c.MaxOutputTokens, limits: c.limits()}
}

// Generate asks the model for one message.
func (p *Anthropic) Generate(ctx context.Context, r Request) (Draft, error) {
	pr := buildPrompt(r, p.limits)
	msg, err := p.client.Messages.New(ctx, anthropic.MessageNewParams{
		Model:     anthropic.Model(p.model),
		MaxTokens: p.maxTokens,
		System:    []anthropic.TextBlockParam{{Text: pr.System}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(pr.User))},
	})
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
		Model:        string(msg.Model),
		InputTokens:  msg.Usage.InputTokens + msg.Usage.CacheCreationInputTokens + msg.Usage.CacheReadInputTokens,
		OutputTokens: msg.Usage.OutputTokens,
	}
	d.Subject, d.Body, err = parseDraft(d.Raw)
	return d, err
}

// OpenAI is a Provider over the chat completions API (POST {base}/chat/completions, the base
// ending in /v1/), through OpenAI's official SDK. Self-hosted servers that speak this API
// (vLLM, Ollama, llama.cpp's server, LiteLLM, ...) work through their /v1/ base URL.
type OpenAI struct {
	chat      openai.ChatCompletionService
	model     string
	maxTokens int64
	limits    Limits
}

var _ Provider = (*OpenAI)(nil)

// NewOpenAI returns an OpenAI-compatible provider for a validated Config. The SDK's client
// constructor reads OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID and more from the
// environment and offers no public way to stop it, so the chat completions service is built
// directly from explicit options instead: nothing comes from the environment.
func NewOpenAI(c Config) *OpenAI {
	opts := []ooption.RequestOption{
		ooption.WithBaseURL(c.BaseURL),
		ooption.WithHTTPClient(httpClient(c)),
		ooption.WithMaxRetries(c.MaxRetries),
		ooption.WithRequestTimeout(c.Timeout),
	}
	if c.APIKey != "" {
		opts = append(opts, ooption.WithAPIKey(c.APIKey))
	}
	return &OpenAI{chat: openai.NewChatCompletionService(opts...), model: c.Model, maxTokens: c.MaxOutputTokens, limits: c.limits()}
}

// Generate asks the model for one message.
func (p *OpenAI) Generate(ctx context.Context, r Request) (Draft, error) {
	pr := buildPrompt(r, p.limits)
	resp, err := p.chat.New(ctx, openai.ChatCompletionNewParams{
		Model:               shared.ChatModel(p.model),
		Messages:            []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(pr.System), openai.UserMessage(pr.User)},
		MaxCompletionTokens: openai.Int(p.maxTokens),
	})
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

// httpClient is the providers' own HTTP client, so that nothing shared with the rest of the
// process (http.DefaultClient) is used or changed. Its timeout is a backstop per request; the
// Personalizer's context bounds the whole call, retries included.
func httpClient(c Config) *http.Client { return &http.Client{Timeout: c.Timeout} }
