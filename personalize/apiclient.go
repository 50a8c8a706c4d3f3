package personalize

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The providers are thin clients of the model APIs' documented HTTP interfaces rather than
// the vendors' SDKs: the two SDKs added 61 MB to a 127 MB binary for a feature that is off by
// default (see docs/benchmarks.md, "Binary size"). One JSON POST and its answer is all
// personalization needs.

// maxResponse bounds the answer read from a model API: a message is a few kilobytes.
const maxResponse = 1 << 20

// maxBackoff bounds the wait before a retry, whatever a Retry-After header asks.
const maxBackoff = 8 * time.Second

// apiClient posts JSON to a model API with the Config's retries. Its HTTP client is its own, so
// that nothing shared with the rest of the process (http.DefaultClient) is used or changed; the
// client's timeout is a backstop per request, the Personalizer's context bounds the whole call,
// retries included.
type apiClient struct {
	name    string // the provider's name in errors
	http    *http.Client
	retries int
}

func newAPIClient(name string, c Config) apiClient {
	return apiClient{name: name, http: &http.Client{Timeout: c.Timeout}, retries: c.MaxRetries}
}

// APIError is a model API's refusal: its HTTP status and the error it described. It never holds
// the request, so never the key.
type APIError struct {
	Provider string
	Status   int
	Type     string // the API's error type, e.g. rate_limit_error, invalid_request_error
	Message  string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d", e.Provider, e.Status)
	if e.Type != "" {
		s += " " + e.Type
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// retryable reports whether a status is worth another try: rate limits, overload, server errors.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout ||
		status == http.StatusConflict || status >= 500
}

// post sends body as JSON to url with the headers h and decodes a 2xx answer into out. It retries
// up to c.retries times on a retryable status or a connection error, waiting as the API's
// Retry-After asks or with exponential backoff, and stops when ctx ends.
func (c apiClient) post(ctx context.Context, url string, h http.Header, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s: encoding the request: %w", c.name, err)
	}
	for attempt := 0; ; attempt++ {
		wait, err := c.try(ctx, url, h, payload, out)
		if err == nil || wait < 0 || attempt >= c.retries || ctx.Err() != nil {
			return err
		}
		if wait == 0 {
			wait = backoff(attempt)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// try makes one request. wait is negative when the error is final, otherwise the wait the API
// asked for before a retry (0: none said).
func (c apiClient) try(ctx context.Context, url string, h http.Header, payload []byte, out any) (wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return -1, fmt.Errorf("%s: %w", c.name, err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		// A connection error may be retried; the URL in it is the configured base, never a key.
		return 0, fmt.Errorf("%s: %w", c.name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, fmt.Errorf("%s: reading the answer: %w", c.name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := apiError(c.name, resp.StatusCode, data)
		if !retryable(resp.StatusCode) {
			return -1, e
		}
		return retryAfter(resp.Header), e
	}
	if err := json.Unmarshal(data, out); err != nil {
		return -1, fmt.Errorf("%s: the answer is not the API's JSON: %w", c.name, err)
	}
	return 0, nil
}

// apiError reads the error object both APIs answer with: {"error": {"type", "message"}}.
func apiError(provider string, status int, data []byte) *APIError {
	var body struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e := &APIError{Provider: provider, Status: status}
	if json.Unmarshal(data, &body) == nil {
		e.Type, e.Message = body.Error.Type, short(body.Error.Message, 200)
	}
	if e.Message == "" && e.Type == "" {
		e.Message = short(strings.TrimSpace(http.StatusText(status)), 200)
	}
	return e
}

// retryAfter is the wait an answer asks for (retry-after-ms, or Retry-After in seconds), at most
// maxBackoff; 0 when it asks for none.
func retryAfter(h http.Header) time.Duration {
	var d time.Duration
	if ms, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && ms >= 0 {
		d = time.Duration(ms * float64(time.Millisecond))
	} else if s, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil && s >= 0 {
		d = time.Duration(s * float64(time.Second))
	} else {
		return 0
	}
	if d == 0 {
		d = time.Millisecond // asked to retry at once: a token wait, not the default backoff
	}
	return min(d, maxBackoff)
}

// backoff is the wait before retry attempt+1: 0.5 s doubling, at most maxBackoff, less up to
// a quarter at random so that workers do not retry in step.
func backoff(attempt int) time.Duration {
	d := min(500*time.Millisecond<<attempt, maxBackoff)
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}
