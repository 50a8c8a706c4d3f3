package stripefake

import (
	"fmt"
)

// state is the fake's world. Every access holds Server.mu.
type state struct {
	seq int64 // orders objects created in the same second and numbers ids

	customers       map[string]*customer
	portalSessions  []PortalSession
	paymentMethods  map[string]*paymentMethod
	subscriptions   map[string]*subscription
	invoices        map[string]*invoice
	invoicePayments map[string]*invoicePayment
	paymentIntents  map[string]*paymentIntent
	charges         map[string]*charge

	scripts map[string][]Outcome // invoice id -> outcomes of its next pay calls

	events     []*event
	eventsByID map[string]*event
	// Webhook delivery: see events.go.
	webhookURL     string
	webhookSecrets []string
	autoDeliver    bool
	deliverFilter  func(Event) bool
	queue          []*event                 // waiting for the delivery worker
	inFlight       map[string]chan struct{} // event id -> closed once delivered (or given up)
	opEvents       []*event                 // events queued by the control operation in progress

	succeeded map[string]int // invoice id -> charges that succeeded

	idem     idempotencyStore
	requests []Request
	failures []int // statuses of the next requests to fail, in order

	keyRefused bool         // every request is answered 401 (RefuseKey)
	denials    []denialRule // requests answered 403 (DenyPermission)
	hangRules  []hangRule   // requests held unanswered (HangRequests)

	hanging     int           // requests held by Hang or LoseResponse now
	hangChanged chan struct{} // closed and replaced whenever hanging changes
}

func newState() state {
	return state{
		customers:       map[string]*customer{},
		paymentMethods:  map[string]*paymentMethod{},
		subscriptions:   map[string]*subscription{},
		invoices:        map[string]*invoice{},
		invoicePayments: map[string]*invoicePayment{},
		paymentIntents:  map[string]*paymentIntent{},
		charges:         map[string]*charge{},
		scripts:         map[string][]Outcome{},
		succeeded:       map[string]int{},
		eventsByID:      map[string]*event{},
		autoDeliver:     true,
		inFlight:        map[string]chan struct{}{},
		idem:            idempotencyStore{entries: map[string]*idemEntry{}},
		hangChanged:     make(chan struct{}),
	}
}

// newID returns a fresh Stripe-looking id with the given prefix, e.g. in_F00000000000017.
func (st *state) newID(prefix string) string {
	st.seq++
	return fmt.Sprintf("%s_F%014d", prefix, st.seq)
}

// next returns the next sequence number, for ordering.
func (st *state) next() int64 {
	st.seq++
	return st.seq
}

// Request is one API request the fake received, as the request log keeps it.
type Request struct {
	Method         string
	Path           string
	IdempotencyKey string
	Status         int  // 0 while in flight or for a request the fake left hanging
	Replayed       bool // answered from the idempotency layer
}

func (st *state) logRequest(r Request) int {
	st.requests = append(st.requests, r)
	return len(st.requests) - 1
}

func (st *state) takeFailure() int {
	if len(st.failures) == 0 {
		return 0
	}
	status := st.failures[0]
	st.failures = st.failures[1:]
	return status
}

// idempotencyStore is Stripe's idempotency layer: the first response to a POST with a given
// Idempotency-Key is saved and replayed byte for byte to later requests with the same key and
// the same parameters, whatever it was (success, decline, 500). A different request with the
// key is refused with an idempotency_error, and a request made while the first is still
// running gets a 409. Requests refused before the endpoint ran (authentication, injected
// failures, the two refusals above) save nothing. Keys do not expire in the fake.
type idempotencyStore struct {
	entries map[string]*idemEntry
}

type idemEntry struct {
	fingerprint string
	done        bool
	resp        response
	requestID   string
}

type idemVerdict int

const (
	idemNew idemVerdict = iota
	idemReplay
	idemMismatch
	idemInUse
)

func (s *idempotencyStore) begin(key, fingerprint string) (*idemEntry, idemVerdict) {
	e, ok := s.entries[key]
	switch {
	case !ok:
		s.entries[key] = &idemEntry{fingerprint: fingerprint}
		return nil, idemNew
	case !e.done:
		return e, idemInUse
	case e.fingerprint != fingerprint:
		return e, idemMismatch
	}
	return e, idemReplay
}

func (s *idempotencyStore) finish(key string, resp response, requestID string) {
	e := s.entries[key]
	e.done = true
	e.resp = response{status: resp.status, body: resp.body, header: resp.header}
	e.requestID = requestID
}

// abandon forgets a key whose request never ran, so that a retry runs it.
func (s *idempotencyStore) abandon(key string) { delete(s.entries, key) }
