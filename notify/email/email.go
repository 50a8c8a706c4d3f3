// Package email is recoup's email channel: it sends campaign messages over SMTP with go-mail, as
// multipart text and HTML with the headers a bulk sender owes its recipients (a Message-ID
// derived from the message's idempotency key, List-Unsubscribe with one-click unsubscribe).
// It implements recoup.Notifier: a permanent refusal of the recipient or the content (an SMTP
// 5xx answer to RCPT or DATA: a hard bounce, an invalid address) is an EINVALID error, which
// the engine records as a bounce; anything else is temporary and the job is retried.
package email

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/recoup-hq/recoup"
)

// TLS modes.
const (
	// StartTLS connects in plain text and requires the server to upgrade with STARTTLS (port
	// 587 by default). A server that does not offer it is refused.
	StartTLS = "starttls"
	// ImplicitTLS speaks TLS from the first byte (SMTPS, port 465 by default).
	ImplicitTLS = "tls"
)

// Config configures a Sender.
type Config struct {
	Host     string
	Port     int // 0: 587 for StartTLS, 465 for ImplicitTLS
	Username string
	Password string
	// TLS is StartTLS (the default) or ImplicitTLS.
	TLS string
	// Insecure sends in plain text when the server offers no TLS. For tests against a local
	// server only: mail to customers must never travel unencrypted.
	Insecure bool
	// From is the sender, as an address or "Name <address>".
	From string
	// ReplyTo, optional, is where customers' replies go (the support address).
	ReplyTo string
	// Unsubscribe returns the one-click (RFC 8058) unsubscribe URL of a message, an https URL
	// that accepts POST. Required: a bulk sender must offer it.
	Unsubscribe func(m recoup.Message) (string, error)
	// UnsubscribeMailto, optional, is an address that unsubscribes whoever writes to it; it
	// is offered alongside the URL for clients that do not do one-click.
	UnsubscribeMailto string
	// Timeout bounds one delivery (connect, TLS, SMTP dialogue); default 30s.
	Timeout time.Duration
	// Now stamps the Date header; nil means time.Now. Tests set it for stable output.
	Now func() time.Time
}

// ParseURL reads an SMTP server URL: smtp://user:pass@host:587 (STARTTLS required) or
// smtps://user:pass@host:465 (implicit TLS). The user and password are URL-encoded.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, recoup.Errorf(recoup.EINVALID, "SMTP URL: cannot parse it") // the text may hold a password
	}
	var c Config
	switch u.Scheme {
	case "smtp":
		c.TLS = StartTLS
	case "smtps":
		c.TLS = ImplicitTLS
	default:
		return Config{}, recoup.Errorf(recoup.EINVALID, "SMTP URL: scheme must be smtp (STARTTLS) or smtps (implicit TLS), got %q", u.Scheme)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, recoup.Errorf(recoup.EINVALID, "SMTP URL: no host")
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port <= 0 || c.Port > 65535 {
			return Config{}, recoup.Errorf(recoup.EINVALID, "SMTP URL: bad port %q", p)
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	return c, nil
}

// Sender sends messages over SMTP. It opens one connection per message: campaign messages are
// few and spread out, and a fresh connection keeps one bad answer from affecting the next.
type Sender struct {
	cfg    Config
	opts   []gomail.Option
	domain string // of the sender address, for Message-IDs
}

// New validates cfg and returns a Sender.
func New(cfg Config) (*Sender, error) {
	if cfg.Host == "" {
		return nil, recoup.Errorf(recoup.EINVALID, "email: no SMTP host")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, recoup.Errorf(recoup.EINVALID, "email: sender %q is not an address: %w", cfg.From, err)
	}
	if cfg.ReplyTo != "" {
		if _, err := mail.ParseAddress(cfg.ReplyTo); err != nil {
			return nil, recoup.Errorf(recoup.EINVALID, "email: reply-to %q is not an address: %w", cfg.ReplyTo, err)
		}
	}
	if cfg.Unsubscribe == nil {
		return nil, recoup.Errorf(recoup.EINVALID, "email: an unsubscribe link is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	opts := []gomail.Option{gomail.WithTimeout(cfg.Timeout)}
	switch {
	case cfg.TLS == ImplicitTLS:
		opts = append(opts, gomail.WithSSL(), gomail.WithPort(portOr(cfg.Port, 465)))
	case cfg.TLS == StartTLS || cfg.TLS == "":
		policy := gomail.TLSMandatory
		if cfg.Insecure {
			policy = gomail.NoTLS
		}
		opts = append(opts, gomail.WithTLSPolicy(policy), gomail.WithPort(portOr(cfg.Port, 587)))
	default:
		return nil, recoup.Errorf(recoup.EINVALID, "email: TLS mode must be %q or %q, got %q", StartTLS, ImplicitTLS, cfg.TLS)
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	return &Sender{cfg: cfg, opts: opts, domain: domain}, nil
}

func portOr(p, def int) int {
	if p > 0 {
		return p
	}
	return def
}

// MessageID is the Message-ID (without angle brackets) of m: derived from its idempotency key,
// so a message re-sent after a lost answer carries the same ID and receivers can tell.
func (s *Sender) MessageID(m recoup.Message) string {
	return m.IdempotencyKey() + "@" + s.domain
}

// Send delivers m. See the package comment for what its errors mean.
func (s *Sender) Send(ctx context.Context, m recoup.Message) error {
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return recoup.Errorf(recoup.EINTERNAL, "email: SMTP client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(m, err)
	}
	return nil
}

// build assembles the MIME message.
func (s *Sender) build(m recoup.Message) (*gomail.Msg, error) {
	if m.To == "" {
		return nil, recoup.Errorf(recoup.EINVALID, "email: message %d of case %d has no recipient", m.Step, m.CaseID)
	}
	var unsub string
	if m.Template != recoup.TeamAlertTemplate { // a team alert goes to the merchant's team: nothing to unsubscribe the customer from
		var err error
		if unsub, err = s.cfg.Unsubscribe(m); err != nil {
			return nil, fmt.Errorf("email: unsubscribe link of message %d of case %d: %w", m.Step, m.CaseID, err)
		}
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return nil, recoup.Errorf(recoup.EINVALID, "email: sender: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, recoup.Errorf(recoup.EINVALID, "email: recipient of message %d of case %d is not an address", m.Step, m.CaseID)
	}
	if s.cfg.ReplyTo != "" {
		if err := msg.ReplyTo(s.cfg.ReplyTo); err != nil {
			return nil, recoup.Errorf(recoup.EINVALID, "email: reply-to: %w", err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(s.MessageID(m))
	msg.SetDateWithValue(s.cfg.Now())
	if unsub != "" {
		list := "<" + unsub + ">"
		if s.cfg.UnsubscribeMailto != "" {
			list += ", <mailto:" + s.cfg.UnsubscribeMailto + "?subject=unsubscribe>"
		}
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, list)
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	// Auto-Submitted keeps out-of-office robots from answering a machine (RFC 3834).
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// classify turns a delivery failure into a recoup error: a 5xx answer to RCPT or DATA is
// permanent (EINVALID), anything else (connection, TLS, 4xx, a refused sender) is temporary
// (EUNAVAILABLE). A refused MAIL FROM is the sender's configuration, not the customer's
// address, so it is not a bounce.
func classify(m recoup.Message, err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		switch se.Reason {
		case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
			return recoup.Errorf(recoup.EINVALID, "email: message %d of case %d refused for good (SMTP %d %s): %w",
				m.Step, m.CaseID, se.ErrorCode(), se.EnhancedStatusCode(), err)
		}
	}
	return recoup.Errorf(recoup.EUNAVAILABLE, "email: message %d of case %d not delivered, will retry: %w", m.Step, m.CaseID, err)
}
