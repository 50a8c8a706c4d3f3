package personalize

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// With retries configured, a 5xx or 429 is tried again and a later answer is used; a 400 is not.
func TestProvidersRetry(t *testing.T) {
	tests := []struct {
		name      string
		first     int
		wantGen   bool
		wantCalls int
	}{
		{"server error then success", http.StatusInternalServerError, true, 2},
		{"rate limited then success", http.StatusTooManyRequests, true, 2},
		{"overloaded then success", 529, true, 2},
		{"bad request is final", http.StatusBadRequest, false, 1},
	}
	for _, prov := range providers {
		for _, tt := range tests {
			t.Run(prov+"/"+tt.name, func(t *testing.T) {
				p, f, _ := setup(t, prov, func(c *Config) { c.MaxRetries = 2 })
				var n atomic.Int32
				f.answer = func() (int, string) {
					if n.Add(1) == 1 {
						return tt.first, ""
					}
					return http.StatusOK, draftJSON("About your payment", goodGentle)
				}
				res := p.Personalize(context.Background(), now, request(ToneGentle))
				if res.Generated != tt.wantGen {
					t.Errorf("generated = %v, want %v (%s %s)", res.Generated, tt.wantGen, res.Fallback, res.Reason)
				}
				if f.calls() != tt.wantCalls {
					t.Errorf("calls = %d, want %d", f.calls(), tt.wantCalls)
				}
			})
		}
	}
}

// Retries stop at MaxRetries: 1 + MaxRetries calls at most, then the template.
func TestProvidersRetriesAreBounded(t *testing.T) {
	for _, prov := range providers {
		t.Run(prov, func(t *testing.T) {
			p, f, _ := setup(t, prov, func(c *Config) { c.MaxRetries = 3 })
			f.answer = func() (int, string) { return http.StatusServiceUnavailable, "" }
			res := p.Personalize(context.Background(), now, request(ToneGentle))
			if res.Generated || res.Fallback != KindProviderError {
				t.Fatalf("fallback = %q: %s", res.Fallback, res.Reason)
			}
			if f.calls() != 4 {
				t.Errorf("calls = %d, want 4", f.calls())
			}
		})
	}
}

// The reason of a refused call says the provider, the status and the API's own error words.
func TestProviderErrorReason(t *testing.T) {
	for _, prov := range providers {
		t.Run(prov, func(t *testing.T) {
			p, f, _ := setup(t, prov, nil)
			f.answer = func() (int, string) { return http.StatusInternalServerError, "" }
			res := p.Personalize(context.Background(), now, request(ToneGentle))
			for _, want := range []string{prov, "HTTP 500", "api_error", "internal server error"} {
				if !strings.Contains(res.Reason, want) {
					t.Errorf("reason %q lacks %q", res.Reason, want)
				}
			}
		})
	}
}

// Anthropic's requests carry the API version header the documented API requires.
func TestAnthropicVersionHeader(t *testing.T) {
	p, f, _ := setup(t, ProviderAnthropic, nil)
	f.reply = draftJSON("About your payment", goodGentle)
	if res := p.Personalize(context.Background(), now, request(ToneGentle)); !res.Generated {
		t.Fatalf("not generated: %s %s", res.Fallback, res.Reason)
	}
	h := f.lastHeader()
	if got := h.Get("Anthropic-Version"); got != AnthropicVersion {
		t.Errorf("anthropic-version = %q, want %q", got, AnthropicVersion)
	}
	if got := h.Get("Content-Type"); got != "application/json" {
		t.Errorf("content-type = %q", got)
	}
	if got := h.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q: the key travels once, in x-api-key", got)
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{}, 0},
		{http.Header{"Retry-After": {"2"}}, 2 * time.Second},
		{http.Header{"Retry-After": {"0"}}, time.Millisecond},
		{http.Header{"Retry-After": {"3600"}}, maxBackoff},
		{http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"9"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After": {"Wed, 21 Oct 2015 07:28:00 GMT"}}, 0},
	} {
		if got := retryAfter(tt.h); got != tt.want {
			t.Errorf("retryAfter(%v) = %s, want %s", tt.h, got, tt.want)
		}
	}
	for attempt := range 6 {
		if d := backoff(attempt); d <= 0 || d > maxBackoff {
			t.Errorf("backoff(%d) = %s", attempt, d)
		}
	}
}
