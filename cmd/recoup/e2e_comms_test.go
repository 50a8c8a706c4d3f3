package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/notify/webhook"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

const commsPolicy = e2ePolicy + `
campaign:
  hour: 0
  quiet_hours: [0, 0]
  steps:
    - {day: 0, template: update_card, tone: helpful, categories: [hard]}
    - {day: 1, template: update_card, tone: helpful, channel: webhook, categories: [hard]}
`

// smtpCapture is an SMTP server on 127.0.0.1 that keeps every message.
type smtpCapture struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (c *smtpCapture) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{c: c}, nil }
func (c *smtpCapture) count() int                                  { c.mu.Lock(); defer c.mu.Unlock(); return len(c.msgs) }

type smtpSession struct{ c *smtpCapture }

func (s *smtpSession) Reset()                               {}
func (s *smtpSession) Logout() error                        { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.c.mu.Lock()
	s.c.msgs = append(s.c.msgs, b)
	s.c.mu.Unlock()
	return err
}

// hookCapture is the merchant's webhook endpoint: it keeps the verified deliveries.
type hookCapture struct {
	now   func() time.Time // recoup's clock, which the test moves ahead
	mu    sync.Mutex
	types []string
	bad   int
}

func (h *hookCapture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := webhook.Verify([]byte(hookSecret), r.Header.Get(webhook.SignatureHeader), body, h.now(), 0); err != nil {
		h.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var env webhook.Envelope
	_ = json.Unmarshal(body, &env)
	h.types = append(h.types, env.Type)
}

func (h *hookCapture) seen() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.types, ",")
}

const hookSecret = "merchant-webhook-secret-0123"

// textPart returns the decoded text/plain part of a raw message.
func textPart(t *testing.T, raw []byte) (mail.Header, string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			t.Fatal("no text/plain part")
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, _ := io.ReadAll(p)
			return m.Header, string(b)
		}
	}
}

// recoup serve with email, the outgoing webhook and the link pages configured: a hard decline
// gets the day-0 email through River and SMTP, its link opens a portal session for the
// customer, the day-1 step goes to the merchant's webhook, and the case's lifecycle events
// arrive signed.
func TestE2ECustomerMessages(t *testing.T) {
	slow(t)
	mb := &smtpCapture{}
	srv := smtp.NewServer(mb)
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	w := newWorld(t)
	hooks := &hookCapture{now: w.clock.Now}
	hookSrv := httptest.NewServer(hooks)
	t.Cleanup(hookSrv.Close)
	w.policyYAML = commsPolicy
	p := w.start(sqliteURL(t), func(c *ServeCmd) {
		c.CommsFlags = CommsFlags{
			SMTPURL: "smtp://" + ln.Addr().String(), SMTPInsecure: true, EmailFrom: "Acme Billing <billing@acme.example>",
			PublicURL: "http://127.0.0.1:1", LinkSecret: "an-e2e-link-secret-of-32-characters!", BrandName: "Acme",
			OutgoingWebhookURL: hookSrv.URL, OutgoingWebhookSecret: hookSecret,
		}
	})
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "ada@example.com", Decline: stripefake.CardDeclined("stolen_card")})
	if err != nil {
		t.Fatal(err)
	}
	p.waitFor("the day-0 email", func() bool { return mb.count() == 1 })
	p.waitFor("case.opened at the merchant", func() bool { return hooks.seen() == "case.opened" })

	mb.mu.Lock()
	raw := mb.msgs[0]
	mb.mu.Unlock()
	h, text := textPart(t, raw)
	if !strings.HasPrefix(h.Get("List-Unsubscribe"), "<http://127.0.0.1:1/unsubscribe/") || !strings.Contains(text, "Hello,") {
		t.Fatalf("headers %v\ntext:\n%s", h, text)
	}
	link := regexp.MustCompile(`http://127\.0\.0\.1:1(/u/[A-Za-z0-9_-]+)`).FindStringSubmatch(text)
	if link == nil {
		t.Fatalf("no update link in:\n%s", text)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(p.url + link[1])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sessions := w.fake.PortalSessions()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "https://billing.stripe.com/p/session/fake/") ||
		len(sessions) != 1 || sessions[0].Customer != r.CustomerID || sessions[0].Flow != "payment_method_update" {
		t.Fatalf("update link: %d %q, sessions %+v", resp.StatusCode, resp.Header.Get("Location"), sessions)
	}

	v := p.waitState(r.InvoiceID, recoup.StateAwaitingCustomer)
	w.clock.advanceTo(time.Now().Add(25 * time.Hour))
	p.waitFor("the day-1 webhook message", func() bool { return strings.Contains(hooks.seen(), "customer.message") })
	w.clock.advanceTo(v.Case.NextAction.At)
	p.waitState(r.InvoiceID, recoup.StateExhausted)
	p.waitFor("case.final_action at the merchant", func() bool { return strings.HasSuffix(hooks.seen(), "case.final_action") })
	if got := hooks.seen(); got != "case.opened,customer.message,case.final_action" || hooks.bad != 0 {
		t.Errorf("merchant received %s (%d badly signed)", got, hooks.bad)
	}
	if v, _ := p.caseOf(r.InvoiceID); !strings.Contains(timelineText(v.Timeline), "the customer opened the card update link") {
		t.Errorf("timeline:\n%s", timelineText(v.Timeline))
	}
}
