// Package webhook is recoup's outgoing webhook channel: it POSTs JSON to the merchant's own URL,
// signed with HMAC-SHA256 so the merchant can tell recoup's requests from anyone else's. It
// carries campaign messages (Send, a recoup.Notifier) for the merchant's app to show a banner
// or restrict access, and case lifecycle events (Emit, a recoup.EventSink).
//
// Each request has the header
//
//	Recoup-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the secret>
//
// and Recoup-Event-Id, the delivery's stable id (also the body's "id"), which repeats on every
// retry of the same message or event so the receiver can deduplicate. A 2xx answer is
// delivered; a 4xx other than 408 and 429 (and a redirect) is permanent (EINVALID: retrying
// cannot help); anything else, a timeout included, is temporary and the job is retried.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// Header names.
const (
	SignatureHeader = "Recoup-Signature"
	IDHeader        = "Recoup-Event-Id"
	// KeysHeader names the keys of the signature's v1 values, in their order (e.g. "2,1"), so
	// that a receiver holding several secrets while one is rolled knows which to check.
	KeysHeader = "Recoup-Signature-Keys"
)

// MessageType is the envelope type of a campaign message.
const MessageType = "customer.message"

// DefaultTolerance is how old a signature Verify accepts by default.
const DefaultTolerance = 5 * time.Minute

// Config configures a Client.
type Config struct {
	// URL receives the POSTs. It must be https, except on a loopback host (tests, a sidecar).
	URL string
	// Secret keys the signatures; at least 16 bytes. It is key 0, unless Keys is set.
	Secret string
	// Keys, when set, replace Secret: every delivery carries one v1 signature per key, in
	// this order, so that the receiver may move from one secret to the next without a gap.
	Keys []Key
	// Timeout bounds one delivery; default 10s.
	Timeout time.Duration
	// HTTPClient is copied, never modified; nil selects a default one.
	HTTPClient *http.Client
	// Now stamps the signatures; nil means time.Now.
	Now func() time.Time
	// UpdateURL, optional, gives a message's signed card update link, sent as "update_url" so
	// the merchant's app can show its own button.
	UpdateURL func(m recoup.Message) (string, error)
}

// Key is one signing secret and its id.
type Key struct {
	ID     int
	Secret string
}

// Client posts signed webhooks. It is safe for concurrent use.
type Client struct {
	url       string
	keys      []Key
	hc        http.Client
	now       func() time.Time
	updateURL func(m recoup.Message) (string, error)
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	// The URL may carry a token (in its path, query or user info): errors show no more of it
	// than its scheme and host (Redact).
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, recoup.Errorf(recoup.EINVALID, "webhook: the URL (%s) is not an absolute URL", Redact(cfg.URL))
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return nil, recoup.Errorf(recoup.EINVALID, "webhook: URL must be https (http only on a loopback host), got %s", Redact(cfg.URL))
	}
	keys := cfg.Keys
	if len(keys) == 0 {
		keys = []Key{{ID: 0, Secret: cfg.Secret}}
	}
	seen := map[int]bool{}
	for _, k := range keys {
		if len(k.Secret) < 16 {
			return nil, recoup.Errorf(recoup.EINVALID, "webhook: the signing secret must be at least 16 bytes")
		}
		if seen[k.ID] || k.ID < 0 {
			return nil, recoup.Errorf(recoup.EINVALID, "webhook: key id %d appears twice or is negative", k.ID)
		}
		seen[k.ID] = true
	}
	c := &Client{url: cfg.URL, keys: keys, now: cfg.Now, updateURL: cfg.UpdateURL}
	if cfg.HTTPClient != nil {
		c.hc = *cfg.HTTPClient
	}
	c.hc.Timeout = cfg.Timeout
	if c.hc.Timeout <= 0 {
		c.hc.Timeout = 10 * time.Second
	}
	// A redirect is not followed: the signed body would go where the merchant did not say.
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Envelope is the JSON body of every delivery.
type Envelope struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Created int64           `json:"created"` // unix seconds of this delivery
	Data    json.RawMessage `json:"data"`
}

// MessageData is the data of a customer.message delivery: the rendered message, for the
// merchant's app to show.
type MessageData struct {
	CaseID     int64  `json:"case_id"`
	InvoiceID  string `json:"invoice_id"`
	CustomerID string `json:"customer_id"`
	Step       int    `json:"step"`
	Template   string `json:"template"`
	Tone       string `json:"tone"`
	Subject    string `json:"subject"`
	Text       string `json:"text"`
	UpdateURL  string `json:"update_url,omitempty"` // the signed card update link
	// NoticeID names a notice (a message outside any case: card_expiring, invoice_due); its
	// case_id is then 0.
	NoticeID int64 `json:"notice_id,omitempty"`
}

// Send delivers a campaign message (recoup.Notifier).
func (c *Client) Send(ctx context.Context, m recoup.Message) error {
	data := MessageData{CaseID: m.CaseID, InvoiceID: m.InvoiceID, CustomerID: m.CustomerID, Step: m.Step,
		Template: m.Template, Tone: m.Tone, Subject: m.Subject, Text: m.Text, NoticeID: m.NoticeID}
	if c.updateURL != nil {
		u, err := c.updateURL(m)
		if err != nil {
			return fmt.Errorf("webhook: update link of message %d of case %d: %w", m.Step, m.CaseID, err)
		}
		data.UpdateURL = u
	}
	return c.post(ctx, m.IdempotencyKey(), MessageType, data)
}

// Emit delivers a case lifecycle event (recoup.EventSink).
func (c *Client) Emit(ctx context.Context, ev recoup.CaseEvent) error {
	return c.post(ctx, ev.ID, ev.Type, ev)
}

func (c *Client) post(ctx context.Context, id, typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return recoup.Errorf(recoup.EINTERNAL, "webhook: encode %s %s: %w", typ, id, err)
	}
	now := c.now()
	body, err := json.Marshal(Envelope{ID: id, Type: typ, Created: now.Unix(), Data: raw})
	if err != nil {
		return recoup.Errorf(recoup.EINTERNAL, "webhook: encode %s %s: %w", typ, id, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return recoup.Errorf(recoup.EINVALID, "webhook: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "recoup-webhook/1")
	req.Header.Set(IDHeader, id)
	sig, ids := "", make([]string, len(c.keys))
	for i, k := range c.keys {
		if i == 0 {
			sig = Sign([]byte(k.Secret), now, body)
		} else {
			sig += ",v1=" + hex.EncodeToString(mac([]byte(k.Secret), strconv.FormatInt(now.Unix(), 10), body))
		}
		ids[i] = strconv.Itoa(k.ID)
	}
	req.Header.Set(SignatureHeader, sig)
	req.Header.Set(KeysHeader, strings.Join(ids, ","))
	resp, err := c.hc.Do(req)
	if err != nil {
		// The client's error quotes the whole URL, which may carry a token: keep its cause.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = fmt.Errorf("%s %s: %w", ue.Op, Redact(c.url), ue.Err)
		}
		return recoup.Errorf(recoup.EUNAVAILABLE, "webhook: deliver %s %s: %w", typ, id, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		return recoup.Errorf(recoup.EUNAVAILABLE, "webhook: deliver %s %s: the endpoint answered %d; will retry", typ, id, s)
	default:
		return recoup.Errorf(recoup.EINVALID, "webhook: deliver %s %s: the endpoint answered %d; not retried", typ, id, s)
	}
}

// Sign returns the Recoup-Signature header value of body, signed at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// ErrSignature is returned (wrapped) by Verify for a missing, malformed, wrong or stale
// signature.
var ErrSignature = errors.New("webhook: invalid signature")

// Verify checks a Recoup-Signature header against the raw body, as a receiver written in Go
// would: any v1 may match (several appear while a secret is rolled), and the timestamp must be
// within tolerance of now (0 means DefaultTolerance) to refuse replays of old deliveries.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var (
		ts   string
		sigs [][]byte
	)
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
		case k == "t":
			ts = v
		case k == "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: no timestamp or no v1 signature", ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp outside the tolerance of %s", ErrSignature, tolerance)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature matches", ErrSignature)
}

// Redact returns what of a webhook URL may be shown in errors and logs: its scheme and host,
// with "/…" when it has more (a path, a query or user info may hold a token), or a placeholder
// when it cannot even be parsed.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || strings.ContainsAny(u.Host, " \t\r\n") {
		return "not shown: it may hold a token"
	}
	out := u.Scheme + "://" + u.Host
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		out += "/…"
	}
	return out
}
