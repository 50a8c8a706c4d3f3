// Package stripefake is a stateful, in-process fake of the parts of Stripe's v1 API that
// recoup uses, for behaviour tests. It speaks Stripe's real JSON (field names, list envelopes,
// error objects, expansion) so that stripe-go works against it unchanged; keeps customers,
// payment methods, subscriptions, invoices with their payments, payment intents, charges and
// an event log; honours Idempotency-Key exactly as Stripe documents it; and sends signed
// webhooks. Tests drive the world through Go methods (controls.go): create objects, fail a
// renewal, script the next charges, make Stripe fail or hang, lose or repeat webhooks. All
// timestamps come from Options.Now, so a test can run on a virtual clock.
//
// It is a fake, not a validator: unknown parameters are ignored. Request shapes are checked
// against Stripe's OpenAPI spec by the contract tests, which run against stripe-mock.
package stripefake

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v86"
)

// Options configures a Server. Every field is optional.
type Options struct {
	// Now is the clock for every timestamp the fake records; default time.Now.
	Now func() time.Time
	// SecretKey, when set, is the only API key accepted; otherwise any bearer key is.
	SecretKey string
	// WebhookURL receives every event, signed with each of WebhookSecrets (several secrets
	// give several v1 signatures, as while a secret is being rolled). SetWebhook changes them.
	WebhookURL     string
	WebhookSecrets []string
	// WebhookClient sends webhooks; default a client with a 10s timeout.
	WebhookClient *http.Client
	// APIVersion is written on events; default stripe-go's stripe.APIVersion.
	APIVersion string
	// BlockVisaRetriesAfter, when positive, makes the fake block Visa retries as Stripe does on
	// integrated pricing: once a Visa card has had this many retries of the same amount declined
	// by the network within 30 days (since its latest success; the first decline is the attempt),
	// every further charge of it through the API or AutoRetry fails with RetryBlocked, whatever
	// the card's behaviour or a script says. Stripe's own threshold is 15. Zero: never.
	BlockVisaRetriesAfter int
	// Latency, when positive, is how long every API request waits before it is answered, as
	// Stripe's answers take 100-300 ms over the network (pace.go).
	Latency time.Duration
	// RateLimit, when positive, is how many API requests a second the fake answers; the rest
	// of each second's are answered 429 rate_limit, as Stripe's (pace.go).
	RateLimit int
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	mux     *http.ServeMux
	httpSrv *httptest.Server

	mu    sync.Mutex
	st    state
	limit limiter // Options.RateLimit's count

	closing   chan struct{}
	closeOnce sync.Once
	kickCh    chan struct{}
	workerWG  sync.WaitGroup
}

// New returns a Server with an empty world. Call Start to serve it on 127.0.0.1, or mount
// Handler yourself; call Close when done.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WebhookClient == nil {
		opts.WebhookClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.APIVersion == "" {
		opts.APIVersion = stripe.APIVersion
	}
	s := &Server{
		opts:    opts,
		st:      newState(),
		closing: make(chan struct{}),
		kickCh:  make(chan struct{}, 1),
	}
	s.st.webhookURL = opts.WebhookURL
	s.st.webhookSecrets = append([]string(nil), opts.WebhookSecrets...)
	s.routes()
	s.workerWG.Add(1)
	go s.deliveryLoop()
	return s
}

// Handler serves the fake API.
func (s *Server) Handler() http.Handler { return s.mux }

// Start serves the API on a free port of 127.0.0.1 and returns the server.
func (s *Server) Start() *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("stripefake: listen: %v", err))
	}
	srv := httptest.NewUnstartedServer(s.mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	s.httpSrv = srv
	return s
}

// URL is the base URL to give the client (Config.APIBase); empty before Start.
func (s *Server) URL() string {
	if s.httpSrv == nil {
		return ""
	}
	return s.httpSrv.URL
}

// Close releases hanging requests, stops webhook delivery and the HTTP server.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.workerWG.Wait()
		if s.httpSrv != nil {
			s.httpSrv.Close()
		}
	})
}

func (s *Server) now() int64 { return s.opts.Now().Unix() }

// response is what an API handler decides; the serving layer records it for idempotency and
// writes it (or hangs).
type response struct {
	status int
	body   []byte
	header map[string]string
	// hang: do not answer; hold the request until the client gives up. processed says
	// whether the request took effect first (its response is then saved for replays).
	hang      bool
	processed bool
}

// request is an API request as handlers see it.
type request struct {
	r      *http.Request
	id     string // Request-Id
	key    string // Idempotency-Key
	form   map[string][]string
	expand []string
}

func (q *request) param(name string) string {
	if v := q.form[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

type apiHandler func(q *request) response

// serve wraps a handler with what every Stripe request goes through: authentication, the
// failures a test queued with FailNextRequests, the request log and, for POSTs with an
// Idempotency-Key, Stripe's idempotency layer.
func (s *Server) serve(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := &request{r: r, key: r.Header.Get("Idempotency-Key")}
		s.mu.Lock()
		q.id = s.st.newID("req")
		logIdx := s.st.logRequest(Request{Method: r.Method, Path: r.URL.Path, IdempotencyKey: q.key})
		failStatus := s.st.takeFailure()
		s.mu.Unlock()
		w.Header().Set("Request-Id", q.id)
		setStatus := func(status int, replayed bool) {
			s.mu.Lock()
			s.st.requests[logIdx].Status = status
			s.st.requests[logIdx].Replayed = replayed
			s.mu.Unlock()
		}

		if key, ok := s.authorized(r); !ok {
			setStatus(http.StatusUnauthorized, false)
			write(w, errorResponse(http.StatusUnauthorized, stripeError{Type: "invalid_request_error",
				Message: "Invalid API Key provided: " + maskKey(key)}))
			return
		}
		if perm := s.denied(r); perm != "" {
			key, _ := s.authorized(r)
			setStatus(http.StatusForbidden, false)
			write(w, errorResponse(http.StatusForbidden, stripeError{Type: "invalid_request_error",
				Message: fmt.Sprintf("The provided key '%s' does not have the required permissions for this endpoint on account 'acct_1FakeAccount000'. Having the '%s' permission would allow this request to continue.", maskKey(key), perm)}))
			return
		}
		if !s.paced(w, r, setStatus) {
			return
		}
		if s.hangs(r) {
			setStatus(0, false)
			s.hangDelta(+1)
			defer s.hangDelta(-1)
			select {
			case <-r.Context().Done():
			case <-s.closing:
			}
			return
		}
		if failStatus != 0 {
			setStatus(failStatus, false)
			write(w, failureResponse(failStatus))
			return
		}
		if err := r.ParseForm(); err != nil {
			setStatus(http.StatusBadRequest, false)
			write(w, errorResponse(http.StatusBadRequest, stripeError{Type: "invalid_request_error",
				Message: "Invalid request body: " + err.Error()}))
			return
		}
		q.form = r.Form
		q.expand = formArray(r.Form, "expand")

		idempotent := r.Method == http.MethodPost && q.key != ""
		var fp string
		if idempotent {
			fp = r.Method + " " + r.URL.Path + "?" + r.PostForm.Encode()
			s.mu.Lock()
			entry, verdict := s.st.idem.begin(q.key, fp)
			s.mu.Unlock()
			switch verdict {
			case idemReplay:
				setStatus(entry.resp.status, true)
				w.Header().Set("Idempotent-Replayed", "true")
				w.Header().Set("Original-Request", entry.requestID)
				write(w, entry.resp)
				return
			case idemMismatch:
				setStatus(http.StatusBadRequest, false)
				write(w, errorResponse(http.StatusBadRequest, stripeError{Type: "idempotency_error",
					Message: fmt.Sprintf("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", q.key)}))
				return
			case idemInUse:
				setStatus(http.StatusConflict, false)
				write(w, errorResponse(http.StatusConflict, stripeError{Type: "invalid_request_error", Code: "idempotency_key_in_use",
					Message: "There is currently another in-progress request using this Stripe-Idempotency-Key. Please try again later."}))
				return
			}
		}

		resp := h(q)
		s.kick() // deliver the events the request caused, in the background
		if idempotent && (!resp.hang || resp.processed) {
			s.mu.Lock()
			s.st.idem.finish(q.key, resp, q.id)
			s.mu.Unlock()
		}
		if resp.hang {
			setStatus(0, false)
			s.hangDelta(+1)
			defer s.hangDelta(-1)
			select {
			case <-r.Context().Done():
			case <-s.closing:
			}
			if idempotent && !resp.processed {
				// The key stayed in use while the request hung (a retry meanwhile gets a 409);
				// nothing ran, so it is free again.
				s.mu.Lock()
				s.st.idem.abandon(q.key)
				s.mu.Unlock()
			}
			return
		}
		setStatus(resp.status, false)
		write(w, resp)
	}
}

// authorized returns the request's API key and whether Stripe accepts it.
func (s *Server) authorized(r *http.Request) (string, bool) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || key == "" {
		return key, false
	}
	s.mu.Lock()
	refused := s.st.keyRefused
	s.mu.Unlock()
	return key, !refused && (s.opts.SecretKey == "" || key == s.opts.SecretKey)
}

// denied returns the permission a DenyPermission rule says the request lacks, or "".
func (s *Server) denied(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.st.denials {
		if r.Method == d.method && strings.HasPrefix(r.URL.Path, d.pathPrefix) {
			return d.permission
		}
	}
	return ""
}

// hangs reports whether a HangRequests rule holds the request.
func (s *Server) hangs(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.st.hangRules {
		if r.Method == h.method && strings.HasPrefix(r.URL.Path, h.pathPrefix) {
			return true
		}
	}
	return false
}

// maskKey shows a key as Stripe's error messages do: its prefix (sk_test_, rk_live_, ...),
// asterisks, and its last four characters.
func maskKey(key string) string {
	prefix := ""
	if i := strings.Index(key, "_"); i >= 0 {
		if j := strings.Index(key[i+1:], "_"); j >= 0 {
			prefix = key[:i+j+2]
		}
	}
	rest := key[len(prefix):]
	if len(rest) <= 4 {
		return prefix + "****"
	}
	return prefix + strings.Repeat("*", len(rest)-4) + rest[len(rest)-4:]
}

func write(w http.ResponseWriter, resp response) {
	for k, v := range resp.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(resp.body)))
	w.WriteHeader(resp.status)
	w.Write(resp.body)
}

// stripeError is Stripe's error object.
type stripeError struct {
	Type               string         `json:"type"`
	Code               string         `json:"code,omitempty"`
	DeclineCode        string         `json:"decline_code,omitempty"`
	AdviceCode         string         `json:"advice_code,omitempty"`
	NetworkAdviceCode  string         `json:"network_advice_code,omitempty"`
	NetworkDeclineCode string         `json:"network_decline_code,omitempty"`
	Message            string         `json:"message,omitempty"`
	Param              string         `json:"param,omitempty"`
	Charge             string         `json:"charge,omitempty"`
	DocURL             string         `json:"doc_url,omitempty"`
	RequestLogURL      string         `json:"request_log_url,omitempty"`
	PaymentIntent      map[string]any `json:"payment_intent,omitempty"`
	PaymentMethod      map[string]any `json:"payment_method,omitempty"`
}

func errorResponse(status int, e stripeError) response {
	if e.Code != "" && e.DocURL == "" {
		e.DocURL = "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(e.Code, "_", "-")
	}
	body, _ := json.Marshal(map[string]any{"error": e})
	return response{status: status, body: body}
}

func jsonResponse(v any) response {
	body, err := json.Marshal(v)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, stripeError{Type: "api_error", Message: "stripefake: " + err.Error()})
	}
	return response{status: http.StatusOK, body: body}
}

func notFound(kind, id string) response {
	return errorResponse(http.StatusNotFound, stripeError{Type: "invalid_request_error", Code: "resource_missing",
		Param: "id", Message: fmt.Sprintf("No such %s: '%s'", kind, id)})
}

func invalid(format string, args ...any) response {
	return errorResponse(http.StatusBadRequest, stripeError{Type: "invalid_request_error", Message: fmt.Sprintf(format, args...)})
}

// failureResponse is what Stripe answers when it is overloaded (429) or failing (5xx) before
// the endpoint runs: nothing happened, and nothing is saved under the idempotency key.
func failureResponse(status int) response {
	if status == http.StatusTooManyRequests {
		return errorResponse(status, stripeError{Type: "invalid_request_error", Code: "rate_limit",
			Message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits."})
	}
	return errorResponse(status, stripeError{Type: "api_error", Message: "An unknown error occurred."})
}

// formArray collects an array parameter as stripe-go encodes it (name[0]=a&name[1]=b) or as
// name[]=a&name[]=b, in order.
func formArray(form map[string][]string, name string) []string {
	out := append([]string(nil), form[name+"[]"]...)
	for i := 0; ; i++ {
		v, ok := form[fmt.Sprintf("%s[%d]", name, i)]
		if !ok {
			break
		}
		out = append(out, v...)
	}
	return out
}

// hangDelta counts a request starting or ending a hang and wakes WaitHanging.
func (s *Server) hangDelta(d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.hanging += d
	close(s.st.hangChanged)
	s.st.hangChanged = make(chan struct{})
}

// WaitHanging returns once n requests are being held by Hang or LoseResponse, so that a test
// can act while a charge is in flight.
func (s *Server) WaitHanging(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		count, changed := s.st.hanging, s.st.hangChanged
		s.mu.Unlock()
		if count >= n {
			return nil
		}
		if err := s.wait(ctx, changed); err != nil {
			return err
		}
	}
}

// wait blocks until ch closes, the server closes or ctx ends.
func (s *Server) wait(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-s.closing:
		return fmt.Errorf("stripefake: server closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}
