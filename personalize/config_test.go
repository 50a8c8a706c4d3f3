package personalize

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func TestConfigValidate(t *testing.T) {
	ok := func(mod func(*Config)) Config {
		c := Config{Provider: ProviderAnthropic, Model: "claude-test", APIKey: "sk-ant-test"}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want string // a part of the error; "" for valid
	}{
		{"off", Config{}, ""},
		{"anthropic with defaults", ok(nil), ""},
		{"openai hosted", ok(func(c *Config) { c.Provider = ProviderOpenAI }), ""},
		{"openai self-hosted on loopback without key", ok(func(c *Config) {
			c.Provider, c.BaseURL, c.APIKey = ProviderOpenAI, "http://127.0.0.1:11434/v1/", ""
		}), ""},
		{"self-hosted on a private network over http, allowed", ok(func(c *Config) {
			c.Provider, c.BaseURL, c.AllowInsecureHTTP = ProviderOpenAI, "http://llm.internal:8000/v1/", true
		}), ""},
		{"cost cap with prices", ok(func(c *Config) { c.MonthlyCostCap, c.PriceInputPerMTok, c.PriceOutputPerMTok = 20, 3, 15 }), ""},

		{"unknown provider", ok(func(c *Config) { c.Provider = "gemini" }), "provider"},
		{"no model", ok(func(c *Config) { c.Model = " " }), "model"},
		{"no key for anthropic", ok(func(c *Config) { c.APIKey = "" }), "no API key"},
		{"no key for hosted openai", ok(func(c *Config) { c.Provider, c.APIKey = ProviderOpenAI, "" }), "no API key"},
		{"key with a newline", ok(func(c *Config) { c.APIKey = "sk-1\n" }), "API key"},
		{"openai base without /v1/", ok(func(c *Config) { c.Provider, c.BaseURL = ProviderOpenAI, "https://llm.example.com/" }), "/v1/"},
		{"openai base without trailing slash", ok(func(c *Config) { c.Provider, c.BaseURL = ProviderOpenAI, "https://llm.example.com/v1" }), "end in /"},
		{"anthropic base with /v1/", ok(func(c *Config) { c.BaseURL = "https://api.anthropic.com/v1/" }), "v1/messages"},
		{"http on a non-loopback host", ok(func(c *Config) { c.Provider, c.BaseURL = ProviderOpenAI, "http://llm.internal:8000/v1/" }), "plain http"},
		{"credentials in the URL", ok(func(c *Config) { c.BaseURL = "https://user:pw@api.anthropic.com/" }), "credentials"},
		{"not http", ok(func(c *Config) { c.BaseURL = "ftp://api.anthropic.com/" }), "http(s)"},
		{"no host", ok(func(c *Config) { c.BaseURL = "/just/a/path/" }), "no host"},
		{"timeout too long", ok(func(c *Config) { c.Timeout = time.Hour }), "timeout"},
		{"negative timeout", ok(func(c *Config) { c.Timeout = -time.Second }), "timeout"},
		{"too many retries", ok(func(c *Config) { c.MaxRetries = 9 }), "retries"},
		{"too few output tokens", ok(func(c *Config) { c.MaxOutputTokens = 10 }), "output tokens"},
		{"negative call cap", ok(func(c *Config) { c.MonthlyCallCap = -1 }), "call cap"},
		{"cost cap without prices", ok(func(c *Config) { c.MonthlyCostCap = 20 }), "token prices"},
		{"negative price", ok(func(c *Config) { c.PriceInputPerMTok = -1 }), "negative"},
		{"tiny body limit", ok(func(c *Config) { c.Limits.Body = 50 }), "length limits"},
		{"unknown promise", ok(func(c *Config) { c.AllowedPromises = []Promise{"lifetime_deal"} }), "unknown promise"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want an error about %q", err, tt.want)
			case err != nil && recoup.ErrorCode(err) != recoup.EINVALID:
				t.Fatalf("code = %s, want EINVALID", recoup.ErrorCode(err))
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := Config{Provider: ProviderOpenAI, Model: "gpt-test", APIKey: "sk-test"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != DefaultOpenAIBaseURL || c.Timeout != 15*time.Second || c.MaxRetries != 0 || c.MaxOutputTokens != 1024 ||
		c.MonthlyCallCap != 1000 || c.MonthlyCostCap != 0 || c.Limits != DefaultLimits {
		t.Errorf("defaults: %+v", c)
	}
}

func TestConfigResolveKey(t *testing.T) {
	env := map[string]string{"RECOUP_LLM_API_KEY": "sk-from-env"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	c := Config{Provider: ProviderAnthropic, Model: "m", APIKeyEnv: "RECOUP_LLM_API_KEY"}
	if err := c.ResolveKey(lookup); err != nil || c.APIKey != "sk-from-env" {
		t.Fatalf("ResolveKey: %v, key %q", err, c.APIKey)
	}
	c = Config{Provider: ProviderAnthropic, Model: "m", APIKeyEnv: "MISSING"}
	if err := c.ResolveKey(lookup); recoup.ErrorCode(err) != recoup.EINVALID || strings.Contains(err.Error(), "sk-") {
		t.Fatalf("missing variable: %v", err)
	}
	c = Config{Provider: ProviderAnthropic, Model: "m", APIKey: "sk-explicit", APIKeyEnv: "RECOUP_LLM_API_KEY"}
	if err := c.ResolveKey(lookup); err != nil || c.APIKey != "sk-explicit" {
		t.Fatalf("an explicit key was replaced: %v, %q", err, c.APIKey)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := New(Config{Provider: ProviderAnthropic}, NewMemoryUsage()); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("New without a model: %v", err)
	}
	if _, err := New(Config{Provider: ProviderAnthropic, Model: "m", APIKey: "k"}, nil); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("New without a usage store: %v", err)
	}
}
