// Package twiliofake is a fake of Twilio's Messages API on 127.0.0.1 for tests: it checks a
// send as Twilio does (basic auth with the account SID and token, the account in the path,
// To and Body, From or MessagingServiceSid), records the messages it accepts, and fails the
// way Twilio fails when told to (an error code with its HTTP status, 429 with Retry-After,
// 5xx).
package twiliofake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Message is a message the fake accepted.
type Message struct {
	SID, To, From, Body string
}

// Failure is how the fake answers the next sends instead of accepting them.
type Failure struct {
	Status     int // HTTP status
	Code       int // Twilio's error code; 0 for none
	Message    string
	RetryAfter string // Retry-After on a 429
}

// Server is the fake.
type Server struct {
	srv        *httptest.Server
	accountSID string
	authToken  string
	// Price, when set, is the price Twilio's answer carries ("-0.00790"); "" answers null, as
	// Twilio does when a message is created.
	Price string

	mu       sync.Mutex
	messages []Message
	failures []Failure
	requests int
}

// New starts a fake for the account on 127.0.0.1.
func New(accountSID, authToken string) *Server {
	s := &Server{accountSID: accountSID, authToken: authToken}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the API base to give the client.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// FailNext makes the next sends fail, one failure each, in order.
func (s *Server) FailNext(f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, f...)
}

// Messages are the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Requests counts the send requests received, accepted or not.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	want := "/2010-04-01/Accounts/" + s.accountSID + "/Messages.json"
	if r.URL.Path != want || r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, Failure{Code: 20404, Message: "The requested resource " + r.URL.Path + " was not found"})
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.accountSID || pass != s.authToken {
		writeError(w, http.StatusUnauthorized, Failure{Code: 20003, Message: "Authenticate"})
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeError(w, http.StatusBadRequest, Failure{Code: 20001, Message: "form-encoded body expected"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, Failure{Code: 20001, Message: err.Error()})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	to, body, from, svc := r.PostForm.Get("To"), r.PostForm.Get("Body"), r.PostForm.Get("From"), r.PostForm.Get("MessagingServiceSid")
	switch {
	case to == "":
		writeError(w, http.StatusBadRequest, Failure{Code: 21604, Message: "A 'To' phone number is required."})
		return
	case body == "":
		writeError(w, http.StatusBadRequest, Failure{Code: 21602, Message: "Message body is required."})
		return
	case from == "" && svc == "":
		writeError(w, http.StatusBadRequest, Failure{Code: 21603, Message: "A 'From' or 'MessagingServiceSid' parameter is required to send a message"})
		return
	case len([]rune(body)) > 1600:
		writeError(w, http.StatusBadRequest, Failure{Code: 21617, Message: "The concatenated message body exceeds the 1600 character limit."})
		return
	}
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Status, f)
		return
	}
	sid := fmt.Sprintf("SM%032x", len(s.messages)+1)
	s.messages = append(s.messages, Message{SID: sid, To: to, From: from + svc, Body: body})
	var price any
	if s.Price != "" {
		price = s.Price
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid": sid, "account_sid": s.accountSID, "to": to, "from": nullable(from), "messaging_service_sid": nullable(svc),
		"body": body, "status": "queued", "num_segments": fmt.Sprint(segments(body)), "num_media": "0",
		"direction": "outbound-api", "api_version": "2010-04-01", "price": price, "price_unit": "USD",
		"error_code": nil, "error_message": nil, "uri": strings.TrimSuffix(r.URL.Path, ".json") + "/" + sid + ".json",
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// segments counts as Twilio does for plain GSM-7 text (the fake's tests write ASCII).
func segments(body string) int {
	n := len([]rune(body))
	if n <= 160 {
		return 1
	}
	return (n + 152) / 153
}

func writeError(w http.ResponseWriter, status int, f Failure) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": f.Code, "message": f.Message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", f.Code), "status": status})
}
