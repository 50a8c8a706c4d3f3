package email_test

import (
	"bytes"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/notify/email"
)

func sender(t *testing.T, mb *mailbox) *email.Sender {
	t.Helper()
	host, port, _ := net.SplitHostPort(mb.addr)
	p, _ := strconv.Atoi(port)
	s, err := email.New(email.Config{Host: host, Port: p, Insecure: true, From: "Acme Billing <billing@acme.example>",
		ReplyTo: "help@acme.example", UnsubscribeMailto: "unsubscribe@acme.example", Timeout: 5 * time.Second,
		Unsubscribe: func(m recoup.Message) (string, error) {
			return "https://pay.acme.example/unsubscribe/tok-" + strconv.FormatInt(m.CaseID, 10), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func message(to string) recoup.Message {
	return recoup.Message{CaseID: 4, InvoiceID: "in_4", CustomerID: "cus_4", Step: 1, Channel: "email", Template: "update_card",
		Tone: "helpful", To: to, Subject: "Please update your card – Acme", Text: "Hello,\n\nPlease update your card: https://pay.acme.example/u/x\n",
		HTML: "<p>Hello,</p><p><a href=\"https://pay.acme.example/u/x\">Update</a></p>", Status: recoup.MessagePending}
}

func TestSendMultipartWithHeaders(t *testing.T) {
	mb := newMailbox(t)
	s := sender(t, mb)
	if err := s.Send(t.Context(), message("ada@example.com")); err != nil {
		t.Fatal(err)
	}
	got := mb.messages()
	if len(got) != 1 || got[0].from != "billing@acme.example" || len(got[0].to) != 1 || got[0].to[0] != "ada@example.com" {
		t.Fatalf("received %+v", got)
	}
	p := parse(t, got[0].raw)
	for h, want := range map[string]string{
		"Message-Id":            "<recoup-case-4-in_4-message-1@acme.example>",
		"List-Unsubscribe":      "<https://pay.acme.example/unsubscribe/tok-4>, <mailto:unsubscribe@acme.example?subject=unsubscribe>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Auto-Submitted":        "auto-generated",
		"Reply-To":              "<help@acme.example>",
	} {
		if v := p.header.Get(h); v != want {
			t.Errorf("%s: %q, want %q", h, v, want)
		}
	}
	if !strings.Contains(p.header.Get("From"), "billing@acme.example") || p.subject != "Please update your card – Acme" {
		t.Errorf("From %q, Subject %q", p.header.Get("From"), p.subject)
	}
	if p.text != message("").Text || !strings.Contains(p.html, `href="https://pay.acme.example/u/x"`) {
		t.Errorf("text %q\nhtml %q", p.text, p.html)
	}
}

func TestSendErrors(t *testing.T) {
	mb := newMailbox(t)
	mb.permanent["gone@example.com"] = true
	mb.temporary["busy@example.com"] = 1
	s := sender(t, mb)
	for _, tc := range []struct {
		to   string
		want string
	}{
		{"gone@example.com", recoup.EINVALID},     // 550 on RCPT: a hard bounce
		{"busy@example.com", recoup.EUNAVAILABLE}, // 451: try again
		{"busy@example.com", ""},                  // and it goes through
		{"", recoup.EINVALID},                     // no address
		{"not an address", recoup.EINVALID},
	} {
		err := s.Send(t.Context(), message(tc.to))
		if code := recoup.ErrorCode(err); code != tc.want {
			t.Errorf("to %q: %v (code %q), want code %q", tc.to, err, code, tc.want)
		}
	}
	// A server that is down is temporary.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	down, err := email.New(email.Config{Host: "127.0.0.1", Port: addr.Port, Insecure: true, From: "billing@acme.example",
		Timeout: time.Second, Unsubscribe: func(recoup.Message) (string, error) { return "https://x.example/u", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := down.Send(t.Context(), message("ada@example.com")); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Errorf("server down: %v, want EUNAVAILABLE", err)
	}
}

// Without the explicit insecure option, a server that offers no STARTTLS is refused: mail to
// customers never travels in clear text by accident.
func TestTLSIsRequired(t *testing.T) {
	mb := newMailbox(t)
	host, port, _ := net.SplitHostPort(mb.addr)
	p, _ := strconv.Atoi(port)
	s, err := email.New(email.Config{Host: host, Port: p, From: "billing@acme.example", Timeout: 5 * time.Second,
		Unsubscribe: func(recoup.Message) (string, error) { return "https://x.example/u", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(t.Context(), message("ada@example.com")); err == nil || recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Fatalf("sent without TLS: %v", err)
	}
	if n := len(mb.messages()); n != 0 {
		t.Fatalf("the server received %d messages in clear text", n)
	}
}

func TestParseURL(t *testing.T) {
	c, err := email.ParseURL("smtps://user%40acme:p%40ss@smtp.acme.example:2465")
	if err != nil || c.Host != "smtp.acme.example" || c.Port != 2465 || c.TLS != email.ImplicitTLS || c.Username != "user@acme" || c.Password != "p@ss" {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = email.ParseURL("smtp://smtp.acme.example")
	if err != nil || c.TLS != email.StartTLS || c.Port != 0 {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"http://smtp.acme.example", "smtp://", "smtp://h:99999", "://"} {
		if _, err := email.ParseURL(bad); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("ParseURL(%q) = %v, want EINVALID", bad, err)
		}
	}
	if _, err := email.ParseURL("smtp://user:secret-password@:bad"); err != nil && strings.Contains(err.Error(), "secret-password") {
		t.Error("the error shows the password")
	}
}

// A team alert goes to the merchant's team: no link that would unsubscribe the customer, and
// a Message-Id of its own.
func TestTeamAlertHasNoUnsubscribe(t *testing.T) {
	mb := newMailbox(t)
	s := sender(t, mb)
	m := recoup.Message{CaseID: 4, InvoiceID: "in_4", CustomerID: "cus_4", Channel: "email", Template: recoup.TeamAlertTemplate,
		To: "ops@acme.example", Subject: "recoup: 600.00 USD unpaid", Text: "A case your policy marks.\n"}
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	raw, err := mail.ReadMessage(bytes.NewReader(mb.messages()[0].raw))
	if err != nil {
		t.Fatal(err)
	}
	if v := raw.Header.Get("List-Unsubscribe"); v != "" {
		t.Errorf("List-Unsubscribe %q on a team alert", v)
	}
	if id := raw.Header.Get("Message-Id"); id != "<recoup-case-4-in_4-team-alert-0-ops@acme.example@acme.example>" {
		t.Errorf("Message-Id %q", id)
	}
}
