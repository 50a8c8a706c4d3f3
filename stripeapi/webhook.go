package stripeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86/webhook"
)

// WebhookVerifier checks the Stripe-Signature of webhook deliveries and parses them.
type WebhookVerifier struct {
	// Secrets are the endpoint's signing secrets (whsec_...). When a secret is rolled, Stripe
	// keeps signing with the old one too for up to 24 hours: list both until then.
	Secrets []string
	// Tolerance is how old a signature's timestamp may be, and how far in the future; 0 means
	// Stripe's default, 300s.
	Tolerance time.Duration
	// Now is the clock the future bound is checked against; nil means time.Now. (stripe-go
	// checks the past bound on its own clock.)
	Now func() time.Time
}

// signedAt is the t= of a Stripe-Signature header; ok is false when there is none to read.
func signedAt(header string) (time.Time, bool) {
	for _, part := range strings.Split(header, ",") {
		if v, found := strings.CutPrefix(strings.TrimSpace(part), "t="); found {
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.Unix(sec, 0), true
		}
	}
	return time.Time{}, false
}

// Verify checks sigHeader (the Stripe-Signature header) against the raw request body, before
// anything decodes it, and parses the event with ParseEvent (Origin webhook). Every v1
// signature in the header is tried against every secret. It fails with EUNAUTHORIZED when the
// header is missing or malformed, the timestamp is outside the tolerance, or no signature
// matches; and with EINVALID when a correctly signed body is not a snapshot event.
//
// The event's API version is not checked: the endpoint's pinned version may differ from
// stripe-go's, and ParseEvent reads only fields that are stable across versions.
func (v WebhookVerifier) Verify(payload []byte, sigHeader string) (recoup.Event, error) {
	if len(v.Secrets) == 0 {
		return recoup.Event{}, recoup.Errorf(recoup.EINTERNAL, "stripe webhook: no signing secret configured")
	}
	if sigHeader == "" {
		return recoup.Event{}, recoup.Errorf(recoup.EUNAUTHORIZED, "stripe webhook: missing Stripe-Signature header")
	}
	opts := webhook.ConstructEventOptions{Tolerance: v.Tolerance, IgnoreAPIVersionMismatch: true}
	if opts.Tolerance <= 0 {
		opts.Tolerance = webhook.DefaultTolerance
	}
	for _, secret := range v.Secrets {
		if secret == "" {
			continue
		}
		_, err := webhook.ConstructEventWithOptions(payload, sigHeader, secret, opts)
		switch {
		case err == nil:
			if err := v.notFuture(sigHeader, opts.Tolerance); err != nil {
				return recoup.Event{}, err
			}
			return ParseEvent(payload, recoup.OriginWebhook)
		case errors.Is(err, webhook.ErrNoValidSignature):
			continue // try the next secret
		case errors.Is(err, webhook.ErrTooOld):
			return recoup.Event{}, recoup.Errorf(recoup.EUNAUTHORIZED,
				"stripe webhook: signature timestamp is older than the %s tolerance (replayed, or clocks disagree)", opts.Tolerance)
		case errors.Is(err, webhook.ErrNotSigned):
			return recoup.Event{}, recoup.Errorf(recoup.EUNAUTHORIZED, "stripe webhook: missing Stripe-Signature header")
		case errors.Is(err, webhook.ErrInvalidHeader):
			return recoup.Event{}, recoup.Errorf(recoup.EUNAUTHORIZED, "stripe webhook: malformed Stripe-Signature header")
		default:
			// stripe-go checks the signature first and reports that step only with the
			// sentinel errors above; any other error means the signature matched and the body
			// failed to decode. ParseEvent gives the precise reason, or accepts a body that
			// only stripe-go's typed decoding refused.
			if err := v.notFuture(sigHeader, opts.Tolerance); err != nil {
				return recoup.Event{}, err
			}
			return ParseEvent(payload, recoup.OriginWebhook)
		}
	}
	return recoup.Event{}, recoup.Errorf(recoup.EUNAUTHORIZED, "stripe webhook: no signature matches a configured secret")
}

// notFuture refuses a signature dated further in the future than the tolerance: stripe-go
// bounds only the past, and a delivery signed ahead of time (a leaked secret, a signer's clock
// far off) would otherwise stay replayable for as long as its date is ahead.
func (v WebhookVerifier) notFuture(sigHeader string, tolerance time.Duration) error {
	at, ok := signedAt(sigHeader)
	if !ok {
		return recoup.Errorf(recoup.EUNAUTHORIZED, "stripe webhook: malformed Stripe-Signature header")
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if at.Sub(now()) > tolerance {
		return recoup.Errorf(recoup.EUNAUTHORIZED,
			"stripe webhook: signature timestamp is more than the %s tolerance in the future (forged, or clocks disagree)", tolerance)
	}
	return nil
}

// rawEvent is the part of a Stripe event that recoup routes on. It is decoded on its own,
// not through stripe.Event, so that an event rendered in another API version than stripe-go's
// still parses: these fields have kept their shape across versions.
type rawEvent struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Type     string `json:"type"`
	Created  int64  `json:"created"`
	Livemode bool   `json:"livemode"`
	Data     *struct {
		Object             json.RawMessage `json:"object"`
		PreviousAttributes json.RawMessage `json:"previous_attributes"`
	} `json:"data"`
}

// ParseEvent turns the JSON of one Stripe snapshot event, as delivered to a webhook or listed
// by GET /v1/events, into a recoup.Event with the given origin. Payload keeps a copy of the
// bytes. ReceivedAt and Status are left for the caller. It fails with EINVALID on malformed
// JSON and on thin events (object other than "event"), which carry no object snapshot.
func ParseEvent(payload []byte, origin recoup.EventOrigin) (recoup.Event, error) {
	var raw rawEvent
	if err := json.Unmarshal(payload, &raw); err != nil {
		return recoup.Event{}, recoup.Errorf(recoup.EINVALID, "stripe event: malformed JSON: %w", err)
	}
	if raw.Object != "event" {
		return recoup.Event{}, recoup.Errorf(recoup.EINVALID,
			"stripe event: object is %q, not \"event\": thin event notifications are not supported; configure the webhook endpoint for snapshot events", raw.Object)
	}
	if raw.ID == "" || raw.Type == "" {
		return recoup.Event{}, recoup.Errorf(recoup.EINVALID, "stripe event: missing id or type")
	}
	if raw.Data == nil || len(raw.Data.Object) == 0 {
		return recoup.Event{}, recoup.Errorf(recoup.EINVALID, "stripe event %s: no data.object", raw.ID)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw.Data.Object, &obj); err != nil || obj == nil {
		return recoup.Event{}, recoup.Errorf(recoup.EINVALID, "stripe event %s: data.object is not an object", raw.ID)
	}
	changed, err := changedKeys(raw.Data.PreviousAttributes)
	if err != nil {
		return recoup.Event{}, recoup.Errorf(recoup.EINVALID, "stripe event %s: previous_attributes: %w", raw.ID, err)
	}
	ev := recoup.Event{
		ID:       raw.ID,
		Type:     raw.Type,
		ObjectID: idOf(obj["id"]),
		Changed:  changed,
		Livemode: raw.Livemode,
		Created:  time.Unix(raw.Created, 0).UTC(),
		Payload:  bytes.Clone(payload),
		Origin:   origin,
	}
	if idOf(obj["object"]) == "customer" {
		ev.CustomerID = ev.ObjectID
	} else {
		ev.CustomerID = idOf(obj["customer"])
	}
	return ev, nil
}

// idOf reads an id from a field that holds either a string or, when expanded, an object with
// an id. Anything else (null, absent, a number) gives "".
func idOf(field json.RawMessage) string {
	if len(field) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(field, &s) == nil {
		return s
	}
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(field, &obj) == nil {
		return obj.ID
	}
	return ""
}

// changedKeys lists the dotted paths of the leaves of previous_attributes, sorted: a nested
// object contributes its own keys ("invoice_settings.default_payment_method"), anything else
// (a value, null, an array, an empty object) contributes its key.
func changedKeys(prev json.RawMessage) ([]string, error) {
	if len(prev) == 0 || string(prev) == "null" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(prev, &m); err != nil {
		return nil, err
	}
	var keys []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
				walk(prefix+k+".", sub)
				continue
			}
			keys = append(keys, prefix+k)
		}
	}
	walk("", m)
	slices.Sort(keys)
	return keys, nil
}
