package personalize

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// Provider names for Config.Provider.
const (
	ProviderAnthropic = "anthropic" // Anthropic's Messages API
	ProviderOpenAI    = "openai"    // OpenAI's chat completions API, or any server that speaks it
)

// Default base URLs of the hosted APIs.
const (
	DefaultAnthropicBaseURL = "https://api.anthropic.com/"
	DefaultOpenAIBaseURL    = "https://api.openai.com/v1/"
)

// Config is the personalization's configuration, parsed once by cmd/recoup and passed in.
// The zero Config is off.
type Config struct {
	Provider string // "" (off), "anthropic" or "openai"
	BaseURL  string // the API's base URL; default: the provider's hosted API. OpenAI's must end in /v1/
	Model    string // the model's name as the API knows it; required
	// APIKey is the secret itself. It is never read from the environment by this package:
	// cmd/recoup resolves it from the variable named by APIKeyEnv (ResolveKey).
	APIKey    string
	APIKeyEnv string // the environment variable holding the key, e.g. RECOUP_LLM_API_KEY

	Timeout         time.Duration // one call, retries included; default 15s, at most 2m
	MaxRetries      int           // retries on 429/5xx/connection errors; default 0, at most 5
	MaxOutputTokens int64         // the answer's maximum length in tokens; default 1024

	MonthlyCallCap int64   // calls per calendar month (UTC); default 1000
	MonthlyCostCap float64 // cost per month in the prices' unit; 0: no cost cap (the call cap still holds)
	// Prices per million tokens, in the cost cap's unit (e.g. USD). Both are needed with a cost cap.
	PriceInputPerMTok  float64
	PriceOutputPerMTok float64

	Limits Limits // zero fields take DefaultLimits
	// AllowedPromises are the promises the policy lets a message make (see Promise).
	AllowedPromises []Promise
	// AllowInsecureHTTP allows an http:// base URL on a host other than loopback (a self-hosted
	// model on a private network). The key then travels unencrypted.
	AllowInsecureHTTP bool
}

// Enabled reports whether personalization is configured at all.
func (c Config) Enabled() bool { return c.Provider != "" }

// ResolveKey sets APIKey from the environment variable named APIKeyEnv, when APIKey is empty.
// lookup is os.LookupEnv in cmd/recoup; this package never reads the environment itself.
func (c *Config) ResolveKey(lookup func(string) (string, bool)) error {
	if c.APIKey != "" || c.APIKeyEnv == "" {
		return nil
	}
	v, ok := lookup(c.APIKeyEnv)
	if !ok || v == "" {
		return recoup.Errorf(recoup.EINVALID, "personalization: the API key variable %s is not set", c.APIKeyEnv)
	}
	c.APIKey = v
	return nil
}

// Validate reports the first problem of an enabled Config as an EINVALID error naming the
// setting. A Config that is not enabled is valid.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults returns the Config with defaults filled in, or the first problem.
func (c Config) withDefaults() (Config, error) {
	if !c.Enabled() {
		return c, nil
	}
	bad := func(format string, args ...any) (Config, error) {
		return c, recoup.Errorf(recoup.EINVALID, "personalization: "+format, args...)
	}
	switch c.Provider {
	case ProviderAnthropic:
		if c.BaseURL == "" {
			c.BaseURL = DefaultAnthropicBaseURL
		}
	case ProviderOpenAI:
		if c.BaseURL == "" {
			c.BaseURL = DefaultOpenAIBaseURL
		}
	default:
		return bad("provider %q is not %q or %q", c.Provider, ProviderAnthropic, ProviderOpenAI)
	}
	if err := c.checkBaseURL(); err != nil {
		return bad("base URL: %v", err)
	}
	if strings.TrimSpace(c.Model) == "" {
		return bad("no model name")
	}
	if strings.ContainsFunc(c.APIKey, func(r rune) bool { return r <= ' ' }) {
		return bad("the API key holds spaces or control characters")
	}
	if c.APIKey == "" && (c.Provider == ProviderAnthropic || c.BaseURL == DefaultOpenAIBaseURL) {
		return bad("no API key for the hosted %s API (set the variable named by the key setting)", c.Provider)
	}
	c.Timeout = orDefault(c.Timeout, 15*time.Second)
	c.MaxOutputTokens = orDefault(c.MaxOutputTokens, 1024)
	c.MonthlyCallCap = orDefault(c.MonthlyCallCap, 1000)
	c.Limits.Subject = orDefault(c.Limits.Subject, DefaultLimits.Subject)
	c.Limits.Body = orDefault(c.Limits.Body, DefaultLimits.Body)
	c.Limits.MinBody = orDefault(c.Limits.MinBody, DefaultLimits.MinBody)
	switch {
	case c.Timeout < 0 || c.Timeout > 2*time.Minute:
		return bad("timeout %s is not between 0 and 2m", c.Timeout)
	case c.MaxRetries < 0 || c.MaxRetries > 5:
		return bad("max retries %d is not between 0 and 5", c.MaxRetries)
	case c.MaxOutputTokens < 64 || c.MaxOutputTokens > 8192:
		return bad("max output tokens %d is not between 64 and 8192", c.MaxOutputTokens)
	case c.MonthlyCallCap < 0:
		return bad("monthly call cap %d is negative", c.MonthlyCallCap)
	case c.MonthlyCostCap < 0 || c.PriceInputPerMTok < 0 || c.PriceOutputPerMTok < 0:
		return bad("the cost cap and the prices cannot be negative")
	case c.MonthlyCostCap > 0 && (c.PriceInputPerMTok == 0 || c.PriceOutputPerMTok == 0):
		return bad("a monthly cost cap needs both token prices (input and output per million tokens)")
	case c.Limits.Subject < 20 || c.Limits.Body < 100 || c.Limits.MinBody < 1 || c.Limits.MinBody >= c.Limits.Body:
		return bad("length limits %+v: the subject needs at least 20 characters, the body at least 100, and its minimum below its maximum", c.Limits)
	}
	for _, p := range c.AllowedPromises {
		if _, err := ParsePromise(string(p)); err != nil {
			return bad("allowed promises: %v", err)
		}
	}
	return c, nil
}

// checkBaseURL refuses URLs that would leak the key or reach the wrong path.
func (c Config) checkBaseURL() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return err
	}
	switch {
	case u.Host == "":
		return fmt.Errorf("%q has no host", c.BaseURL)
	case u.User != nil:
		return fmt.Errorf("credentials in the URL are not allowed: use the API key setting")
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q has a query or fragment", c.BaseURL)
	case u.Scheme == "http" && !loopback(u.Hostname()) && !c.AllowInsecureHTTP:
		return fmt.Errorf("%q is plain http on a non-loopback host (allow insecure HTTP to accept it)", c.BaseURL)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%q is not an http(s) URL", c.BaseURL)
	case !strings.HasSuffix(u.Path, "/"):
		return fmt.Errorf("%q must end in /", c.BaseURL)
	case c.Provider == ProviderOpenAI && !strings.HasSuffix(u.Path, "/v1/"):
		return fmt.Errorf("%q must end in /v1/ for the OpenAI-compatible API", c.BaseURL)
	case c.Provider == ProviderAnthropic && strings.HasSuffix(u.Path, "/v1/"):
		return fmt.Errorf("%q must not end in /v1/: v1/messages is added to it", c.BaseURL)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// limits is the guardrails' length limits (defaults applied by withDefaults).
func (c Config) limits() Limits { return c.Limits }

// rules is what Validate holds a generated text to under this Config.
func (c Config) rules() Rules { return Rules{Limits: c.Limits, Allowed: c.AllowedPromises} }

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
