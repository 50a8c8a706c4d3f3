package personalize

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fakeAPI is a local HTTP server on 127.0.0.1 that speaks one provider's wire format (the
// Messages API or chat completions) and records every request it gets.
type fakeAPI struct {
	t        *testing.T
	srv      *httptest.Server
	provider string
	path     string

	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	// answer returns the status and the model's text for a request; nil answers 200 with
	// reply. block, when set, makes the handler wait for the request's context or the
	// channel's closing: a model that never answers in time.
	answer func() (int, string)
	reply  string
	block  chan struct{}
}

// newFake starts a fake of provider's API; it is closed when the test ends.
func newFake(t *testing.T, provider string) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, provider: provider, path: "/v1/messages"}
	if provider == ProviderOpenAI {
		f.path = "/v1/chat/completions"
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		if f.block != nil {
			close(f.block)
		}
		f.srv.Close()
	})
	return f
}

// baseURL is the base URL to configure the provider with.
func (f *fakeAPI) baseURL() string {
	if f.provider == ProviderOpenAI {
		return f.srv.URL + "/v1/"
	}
	return f.srv.URL + "/"
}

func (f *fakeAPI) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

func (f *fakeAPI) lastBody() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[len(f.bodies)-1]
}

func (f *fakeAPI) lastHeader() http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.headers[len(f.headers)-1]
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.headers = append(f.headers, r.Header.Clone())
	answer, reply, block := f.answer, f.reply, f.block
	f.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != f.path {
		http.Error(w, `{"error":{"type":"not_found_error","message":"no such route"}}`, http.StatusNotFound)
		return
	}
	if block != nil {
		select {
		case <-r.Context().Done():
		case <-block:
		}
		return
	}
	status := http.StatusOK
	if answer != nil {
		status, reply = answer()
	}
	w.Header().Set("Content-Type", "application/json")
	if status != http.StatusOK {
		w.Header().Set("Retry-After", "0") // retry at once: tests do not wait out a backoff
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"type":"error","error":{"type":"api_error","message":"internal server error"}}`)
		return
	}
	var out any
	if f.provider == ProviderOpenAI {
		out = map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion", "created": 1763776800, "model": "test-model",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": reply}}},
			"usage": map[string]any{"prompt_tokens": 700, "completion_tokens": 150, "total_tokens": 850},
		}
	} else {
		out = map[string]any{
			"id": "msg_test", "type": "message", "role": "assistant", "model": "test-model",
			"content":     []any{map[string]any{"type": "text", "text": reply}},
			"stop_reason": "end_turn", "stop_sequence": nil,
			"usage": map[string]any{"input_tokens": 700, "output_tokens": 150},
		}
	}
	_ = json.NewEncoder(w).Encode(out)
}

// draftJSON is the model's answer for a subject and body, as the prompt asks for it.
func draftJSON(subject, body string) string {
	b, _ := json.Marshal(map[string]string{"subject": subject, "body": body})
	return string(b)
}
