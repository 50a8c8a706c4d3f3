package stripefake

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/stripe/stripe-go/v86/webhook"
)

// event is one entry of the fake's event log. Its payload is fixed when the event is created,
// so every delivery and every listing of it carries the same bytes, as with Stripe.
type event struct {
	id, typ, objectID string
	created, seq      int64
	payload           []byte
	attempts          int // webhook deliveries tried
	delivered         int // deliveries answered with a 2xx
	lastStatus        int
}

// Event is an event of the fake's log.
type Event struct {
	ID         string
	Type       string
	ObjectID   string
	Created    time.Time
	Payload    []byte // the JSON served by GET /v1/events and POSTed to the webhook
	Attempts   int    // webhook deliveries tried
	Delivered  int    // deliveries the endpoint answered with a 2xx
	LastStatus int    // status of the last delivery; 0 if none answered
}

func (e *event) public() Event {
	return Event{
		ID: e.id, Type: e.typ, ObjectID: e.objectID, Created: time.Unix(e.created, 0).UTC(),
		Payload: bytes.Clone(e.payload), Attempts: e.attempts, Delivered: e.delivered, LastStatus: e.lastStatus,
	}
}

// emit appends an event whose data.object is obj (already rendered: a snapshot) and queues it
// for delivery when webhooks are on. The caller holds s.mu.
func (s *Server) emit(typ string, obj, prev map[string]any, now int64, by origin) *event {
	st := &s.st
	ev := &event{id: st.newID("evt"), typ: typ, created: now, seq: st.next()}
	ev.objectID, _ = obj["id"].(string)
	data := map[string]any{"object": obj}
	if prev != nil {
		data["previous_attributes"] = prev
	}
	req := map[string]any{"id": nil, "idempotency_key": nil}
	if by.requestID != "" {
		req = map[string]any{"id": by.requestID, "idempotency_key": nullable(by.key)}
	}
	pending := 0
	if st.webhookURL != "" {
		pending = 1
	}
	payload, err := json.Marshal(map[string]any{
		"id": ev.id, "object": "event", "api_version": s.opts.APIVersion, "created": now, "data": data,
		"livemode": false, "pending_webhooks": pending, "request": req, "type": typ,
	})
	if err != nil {
		panic(fmt.Sprintf("stripefake: encode event: %v", err)) // only maps of plain values are rendered
	}
	ev.payload = payload
	st.events = append(st.events, ev)
	st.eventsByID[ev.id] = ev
	if st.autoDeliver && st.webhookURL != "" && (st.deliverFilter == nil || st.deliverFilter(ev.public())) {
		st.queue = append(st.queue, ev)
		st.inFlight[ev.id] = make(chan struct{})
		st.opEvents = append(st.opEvents, ev)
	}
	return ev
}

// op runs fn under the lock with one reading of the clock, then waits until the webhooks of
// the events fn queued are delivered, so that a test sees their effect when the control
// method returns. A webhook receiver must therefore not call a control method while it
// handles a delivery (it may call the API).
func (s *Server) op(fn func(now int64) error) error {
	s.mu.Lock()
	s.st.opEvents = nil
	err := fn(s.now())
	var waits []chan struct{}
	for _, ev := range s.st.opEvents {
		if ch, ok := s.st.inFlight[ev.id]; ok {
			waits = append(waits, ch)
		}
	}
	s.st.opEvents = nil
	s.mu.Unlock()
	if len(waits) > 0 {
		s.kick()
		for _, ch := range waits {
			if werr := s.wait(context.Background(), ch); werr != nil {
				break
			}
		}
	}
	return err
}

// kick wakes the delivery worker.
func (s *Server) kick() {
	select {
	case s.kickCh <- struct{}{}:
	default:
	}
}

// deliveryLoop posts queued events one at a time, in the order they happened.
func (s *Server) deliveryLoop() {
	defer s.workerWG.Done()
	for {
		select {
		case <-s.closing:
			return
		case <-s.kickCh:
		}
		for {
			s.mu.Lock()
			if len(s.st.queue) == 0 {
				s.mu.Unlock()
				break
			}
			ev := s.st.queue[0]
			s.st.queue = s.st.queue[1:]
			url, secrets := s.st.webhookURL, append([]string(nil), s.st.webhookSecrets...)
			s.mu.Unlock()

			s.post(ev, url, secrets)

			s.mu.Lock()
			ch := s.st.inFlight[ev.id]
			delete(s.st.inFlight, ev.id)
			s.mu.Unlock()
			if ch != nil {
				close(ch)
			}
			select {
			case <-s.closing:
				return
			default:
			}
		}
	}
}

// post sends one signed delivery of ev and records how it went.
func (s *Server) post(ev *event, url string, secrets []string) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(ev.payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	req.Header.Set("Stripe-Signature", SignatureHeader(ev.payload, time.Now(), secrets...))
	resp, err := s.opts.WebhookClient.Do(req)
	status := 0
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
	}
	s.mu.Lock()
	ev.attempts++
	ev.lastStatus = status
	if status >= 200 && status < 300 {
		ev.delivered++
	}
	s.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("stripefake: deliver %s: %w", ev.id, err)
	}
	return status, nil
}

// SignatureHeader is the Stripe-Signature header Stripe sends for payload at time t: one v1
// signature per secret. Signatures use the wall clock, not Options.Now, because receivers
// check them against theirs.
func SignatureHeader(payload []byte, t time.Time, secrets ...string) string {
	h := "t=" + strconv.FormatInt(t.Unix(), 10)
	for _, secret := range secrets {
		h += ",v1=" + hex.EncodeToString(webhook.ComputeSignature(t, payload, secret))
	}
	return h
}

// SetWebhook sets where events are delivered and the secrets they are signed with; an empty
// url stops delivery.
func (s *Server) SetWebhook(url string, secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.webhookURL = url
	s.st.webhookSecrets = append([]string(nil), secrets...)
}

// SetAutoDeliver turns automatic delivery of new events on (the default) or off. Events
// created while it is off are never delivered unless the test calls Deliver: lost webhooks.
func (s *Server) SetAutoDeliver(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.autoDeliver = on
}

// SetDeliveryFilter decides per event whether it is delivered automatically; nil delivers all.
// f runs with the fake locked and must not call the Server.
func (s *Server) SetDeliveryFilter(f func(Event) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.deliverFilter = f
}

// Deliver posts the event to the webhook now, whether or not it was delivered before (a
// duplicate) and in whatever order the test calls it, and returns the endpoint's status.
func (s *Server) Deliver(eventID string) (int, error) {
	s.mu.Lock()
	ev := s.st.eventsByID[eventID]
	url, secrets := s.st.webhookURL, append([]string(nil), s.st.webhookSecrets...)
	s.mu.Unlock()
	if ev == nil {
		return 0, fmt.Errorf("stripefake: no event %s", eventID)
	}
	if url == "" {
		return 0, fmt.Errorf("stripefake: no webhook URL set")
	}
	return s.post(ev, url, secrets)
}

// Flush waits until every event queued so far has been delivered (or its delivery failed).
func (s *Server) Flush(ctx context.Context) error {
	s.mu.Lock()
	var waits []chan struct{}
	for _, ch := range s.st.inFlight {
		waits = append(waits, ch)
	}
	s.mu.Unlock()
	s.kick()
	for _, ch := range waits {
		if err := s.wait(ctx, ch); err != nil {
			return err
		}
	}
	return nil
}

// Events returns the event log, oldest first.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, len(s.st.events))
	for i, ev := range s.st.events {
		out[i] = ev.public()
	}
	return out
}

// EventsOfType returns the logged events of one type, oldest first.
func (s *Server) EventsOfType(typ string) []Event {
	var out []Event
	for _, ev := range s.Events() {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}
