package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/personalize"
)

// LLMFlags configure the optional personalization of messages by a language model (see
// docs/personalization.md). Off unless RECOUP_LLM_PROVIDER is set. The API key is never a flag:
// RECOUP_LLM_API_KEY_ENV names the environment variable that holds it, so it never shows in a
// process listing, the help text or a configuration error.
type LLMFlags struct {
	LLMProvider        string        `name:"llm-provider" env:"RECOUP_LLM_PROVIDER" help:"Personalize messages with a language model: anthropic or openai (also self-hosted servers). Empty: off."`
	LLMBaseURL         string        `name:"llm-base-url" env:"RECOUP_LLM_BASE_URL" help:"The model API's base URL; default the provider's hosted API. OpenAI-compatible: must end in /v1/."`
	LLMModel           string        `name:"llm-model" env:"RECOUP_LLM_MODEL" help:"The model's name as the API knows it."`
	LLMAPIKeyEnv       string        `name:"llm-api-key-env" env:"RECOUP_LLM_API_KEY_ENV" help:"Name of the environment variable holding the model API's key, e.g. RECOUP_LLM_API_KEY."`
	LLMTimeout         time.Duration `name:"llm-timeout" env:"RECOUP_LLM_TIMEOUT" help:"One model call, retries included (default 15s, at most 2m); past it the template is sent."`
	LLMMaxRetries      int           `name:"llm-max-retries" env:"RECOUP_LLM_MAX_RETRIES" help:"Retries on 429, 5xx and connection errors (0-5)."`
	LLMMaxOutputTokens int64         `name:"llm-max-output-tokens" env:"RECOUP_LLM_MAX_OUTPUT_TOKENS" help:"Length bound of the model's answer in tokens (default 1024)."`
	LLMCallCap         int64         `name:"llm-monthly-call-cap" env:"RECOUP_LLM_MONTHLY_CALL_CAP" help:"Model calls per calendar month, UTC (default 1000)."`
	LLMCostCap         float64       `name:"llm-monthly-cost-cap" env:"RECOUP_LLM_MONTHLY_COST_CAP" help:"Model cost per month in the prices' unit; 0: none."`
	LLMPriceInput      float64       `name:"llm-price-input" env:"RECOUP_LLM_PRICE_INPUT" help:"Price per million input tokens (needed with a cost cap)."`
	LLMPriceOutput     float64       `name:"llm-price-output" env:"RECOUP_LLM_PRICE_OUTPUT" help:"Price per million output tokens (needed with a cost cap)."`
	LLMSubjectMax      int           `name:"llm-subject-max" env:"RECOUP_LLM_SUBJECT_MAX" help:"Longest generated subject, in characters (default 120)."`
	LLMBodyMax         int           `name:"llm-body-max" env:"RECOUP_LLM_BODY_MAX" help:"Longest generated body, in characters (default 2000)."`
	LLMBodyMin         int           `name:"llm-body-min" env:"RECOUP_LLM_BODY_MIN" help:"Shortest generated body, in characters (default 40)."`
	LLMAllowedPromises string        `name:"llm-allowed-promises" env:"RECOUP_LLM_ALLOWED_PROMISES" help:"Promises a generated message may make, comma-separated: discount, refund, free_period, extension, waiver. Default none."`
	LLMAllowInsecure   bool          `name:"llm-allow-insecure-http" env:"RECOUP_LLM_ALLOW_INSECURE_HTTP" help:"Allow an http:// model URL on a host other than loopback (the key travels unencrypted)."`
}

// config is the personalize.Config the flags describe, with the key resolved from the
// environment variable they name (lookup is os.LookupEnv).
func (f *LLMFlags) config(lookup func(string) (string, bool)) (personalize.Config, error) {
	c := personalize.Config{
		Provider: f.LLMProvider, BaseURL: f.LLMBaseURL, Model: f.LLMModel, APIKeyEnv: f.LLMAPIKeyEnv,
		Timeout: f.LLMTimeout, MaxRetries: f.LLMMaxRetries, MaxOutputTokens: f.LLMMaxOutputTokens,
		MonthlyCallCap: f.LLMCallCap, MonthlyCostCap: f.LLMCostCap, PriceInputPerMTok: f.LLMPriceInput, PriceOutputPerMTok: f.LLMPriceOutput,
		Limits:            personalize.Limits{Subject: f.LLMSubjectMax, Body: f.LLMBodyMax, MinBody: f.LLMBodyMin},
		AllowInsecureHTTP: f.LLMAllowInsecure,
	}
	if !c.Enabled() {
		return c, nil
	}
	for _, p := range strings.Split(f.LLMAllowedPromises, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		promise, err := personalize.ParsePromise(p)
		if err != nil {
			return c, fmt.Errorf("RECOUP_LLM_ALLOWED_PROMISES: %w", err)
		}
		c.AllowedPromises = append(c.AllowedPromises, promise)
	}
	if err := c.ResolveKey(lookup); err != nil {
		return c, fmt.Errorf("RECOUP_LLM_API_KEY_ENV: %w", err)
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// validate checks the settings without keeping the key.
func (f *LLMFlags) validate() error {
	_, err := f.config(os.LookupEnv)
	return err
}

// build returns the engine's Personalizer, or nil when personalization is off. The monthly
// caps are counted in the database (usage), so they hold across restarts and processes.
func (f *LLMFlags) build(usage recoup.Store) (engine.Personalizer, error) {
	c, err := f.config(os.LookupEnv)
	if err != nil || !c.Enabled() {
		return nil, err
	}
	counts, ok := usage.(recoup.LLMUsageStore)
	if !ok {
		return nil, fmt.Errorf("personalization: the database cannot keep the model's monthly usage")
	}
	p, err := personalize.New(c, personalize.StoreUsage{Store: counts})
	if err != nil {
		return nil, err
	}
	return personalize.ForEngine(p), nil
}

// describe is the start-up log of the personalization: names and numbers, never the key.
func (f *LLMFlags) describe() []any {
	if f.LLMProvider == "" {
		return []any{"personalization", false}
	}
	return []any{"personalization", true, "provider", f.LLMProvider, "model", f.LLMModel, "base_url", f.LLMBaseURL, "key_from", f.LLMAPIKeyEnv}
}
