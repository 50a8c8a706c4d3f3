package sms_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/notify/sms"
	"github.com/recoup-hq/recoup/notify/sms/twiliofake"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "twilio-auth-token-for-tests"
)

func newTwilio(t *testing.T, mod func(*sms.Config)) (*sms.Twilio, *twiliofake.Server) {
	t.Helper()
	fake := twiliofake.New(testSID, testToken)
	t.Cleanup(fake.Close)
	cfg := sms.Config{AccountSID: testSID, AuthToken: testToken, From: "+15550009999", APIBase: fake.URL(), PriceMicros: 8300, Currency: "USD"}
	if mod != nil {
		mod(&cfg)
	}
	tw, err := sms.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tw, fake
}

func msg(text string) recoup.Message {
	return recoup.Message{CaseID: 1, Step: 0, Channel: "sms", To: "+15551234567", Text: text, Status: recoup.MessagePending}
}

func TestTwilioSends(t *testing.T) {
	tw, fake := newTwilio(t, nil)
	r, err := tw.SendReceipt(context.Background(), msg("Acme: your payment did not go through. Update your card: https://pay.example.com/u/abc"))
	if err != nil {
		t.Fatal(err)
	}
	got := fake.Messages()
	if len(got) != 1 || got[0].To != "+15551234567" || got[0].From != "+15550009999" || !strings.Contains(got[0].Body, "/u/abc") {
		t.Fatalf("messages %+v", got)
	}
	if r.ProviderID != got[0].SID || r.Segments != 1 || r.CostMicros != 8300 || r.Currency != "USD" {
		t.Errorf("receipt %+v", r)
	}
	// Twilio's own price, when its answer has one, wins over the configured one.
	fake.Price = "-0.01580"
	r, err = tw.SendReceipt(context.Background(), msg(strings.Repeat("a", 200)))
	if err != nil || r.CostMicros != 15800 || r.Segments != 2 {
		t.Errorf("priced receipt %+v %v", r, err)
	}
}

func TestTwilioMessagingService(t *testing.T) {
	tw, fake := newTwilio(t, func(c *sms.Config) { c.From = "MG0123456789abcdef0123456789abcdef" })
	if err := tw.Send(context.Background(), msg("hello")); err != nil {
		t.Fatal(err)
	}
	if got := fake.Messages(); got[0].From != "MG0123456789abcdef0123456789abcdef" {
		t.Errorf("from %q", got[0].From)
	}
}

// Twilio's failures map to what the engine does with them: a recipient that cannot receive
// fails for good (EINVALID); a rate limit, an outage or an account problem is retried.
func TestTwilioFailures(t *testing.T) {
	tests := []struct {
		name string
		f    twiliofake.Failure
		want string
		says string
	}{
		{"invalid number", twiliofake.Failure{Status: 400, Code: 21211, Message: "Invalid 'To' Phone Number"}, recoup.EINVALID, "21211"},
		{"opted out", twiliofake.Failure{Status: 400, Code: 21610, Message: "Attempt to send to unsubscribed recipient"}, recoup.EINVALID, "21610"},
		{"landline", twiliofake.Failure{Status: 400, Code: 21614, Message: "'To' number is not a valid mobile number"}, recoup.EINVALID, "21614"},
		{"sender not allowed", twiliofake.Failure{Status: 400, Code: 21606, Message: "The 'From' phone number provided is not a valid message-capable Twilio phone number"}, recoup.EINTERNAL, "21606"},
		{"rate limited", twiliofake.Failure{Status: 429, Code: 20429, Message: "Too Many Requests", RetryAfter: "3"}, recoup.EUNAVAILABLE, "retry after 3"},
		{"outage", twiliofake.Failure{Status: 503, Code: 20503, Message: "Service Unavailable"}, recoup.EUNAVAILABLE, "503"},
		{"suspended account", twiliofake.Failure{Status: 401, Code: 20003, Message: "Authenticate"}, recoup.EUNAUTHORIZED, "TWILIO_AUTH_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw, fake := newTwilio(t, nil)
			fake.FailNext(tt.f)
			err := tw.Send(context.Background(), msg("hello"))
			if recoup.ErrorCode(err) != tt.want || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %v (%s), want %s saying %q", err, recoup.ErrorCode(err), tt.want, tt.says)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the error shows the token: %v", err)
			}
			if errors.Is(err, recoup.ErrOptedOut) != (tt.f.Code == 21610) {
				t.Errorf("errors.Is(err, ErrOptedOut) = %v", errors.Is(err, recoup.ErrOptedOut))
			}
			// The next send goes through.
			if err := tw.Send(context.Background(), msg("hello")); err != nil {
				t.Errorf("after the failure: %v", err)
			}
		})
	}
	t.Run("wrong credentials", func(t *testing.T) {
		tw, _ := newTwilio(t, func(c *sms.Config) { c.AuthToken = "wrong" })
		if err := tw.Send(context.Background(), msg("hello")); recoup.ErrorCode(err) != recoup.EUNAUTHORIZED || strings.Contains(err.Error(), "wrong") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		tw, fake := newTwilio(t, nil)
		fake.Close()
		if err := tw.Send(context.Background(), msg("hello")); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
			t.Errorf("error %v", err)
		}
	})
	t.Run("a message without a valid number is not sent", func(t *testing.T) {
		tw, fake := newTwilio(t, nil)
		m := msg("hello")
		m.To = "555-1234"
		if err := tw.Send(context.Background(), m); recoup.ErrorCode(err) != recoup.EINVALID || fake.Requests() != 0 {
			t.Errorf("error %v, requests %d", err, fake.Requests())
		}
	})
}

func TestTwilioConfig(t *testing.T) {
	ok := sms.Config{AccountSID: testSID, AuthToken: testToken, From: "+15550009999"}
	for name, mod := range map[string]func(*sms.Config){
		"bad sid":        func(c *sms.Config) { c.AccountSID = "XX123" },
		"no token":       func(c *sms.Config) { c.AuthToken = "" },
		"bad sender":     func(c *sms.Config) { c.From = "Acme" },
		"http elsewhere": func(c *sms.Config) { c.APIBase = "http://api.twilio.com" },
		"price, no unit": func(c *sms.Config) { c.PriceMicros = 8300 },
	} {
		c := ok
		mod(&c)
		_, err := sms.New(c)
		if recoup.ErrorCode(err) != recoup.EINVALID || strings.Contains(err.Error(), testToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := sms.New(ok); err != nil {
		t.Errorf("a good config: %v", err)
	}
}

func TestSegments(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{
		{strings.Repeat("a", 160), 1}, {strings.Repeat("a", 161), 2}, {strings.Repeat("a", 306), 2}, {strings.Repeat("a", 307), 3},
		{strings.Repeat("é", 160), 1}, // é is GSM-7
		{strings.Repeat("ő", 70), 1}, {strings.Repeat("ő", 71), 2}, {"Paiement refusé 🙁", 1},
	} {
		if got := sms.Segments(tt.text); got != tt.want {
			t.Errorf("Segments(%d runes of %q) = %d, want %d", len([]rune(tt.text)), []rune(tt.text)[0], got, tt.want)
		}
	}
}

// The signature of the test vector of Twilio's own library (twilio-go, client/request_validator_test.go).
func TestSignature(t *testing.T) {
	form := url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"}, "Caller": {"+14158675309"},
		"From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"}}
	const u, want = "https://mycompany.com/myapp.php?foo=1&bar=2", "vOEb5UThFn24KEfnOFLQY2AE5FY="
	if got := sms.Signature("12345", u, form); got != want {
		t.Errorf("Signature = %q, want %q", got, want)
	}
	if !sms.ValidSignature("12345", u, form, want) || sms.ValidSignature("12345", u+"x", form, want) || sms.ValidSignature("", u, form, want) {
		t.Error("ValidSignature")
	}
	for body, want := range map[string]string{"STOP": "stop", " stop ": "stop", "Unsubscribe": "stop", "start": "start", "UNSTOP": "start", "stop it please": "", "HELP": ""} {
		if got := sms.Keyword(body); got != want {
			t.Errorf("Keyword(%q) = %q, want %q", body, got, want)
		}
	}
}

var _ = http.StatusOK
