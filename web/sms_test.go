package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/notify/sms"
)

func TestTwilioInbound(t *testing.T) {
	e := newLinkEnv(t)
	const token, hookURL = "twilio-token-for-tests", "https://pay.example.com/webhooks/twilio"
	e.srv = New(Config{Store: e.store, Intake: newFakeIntake(), Verifier: &hmacVerifier{secret: testSecret}, Now: func() time.Time { return testNow },
		Links: &LinksConfig{Signer: e.signer, Portal: e.portal, BaseURL: "https://pay.example.com", SMS: &SMSInbound{AuthToken: token, URL: hookURL}}})
	text := func(body, sig string) *httptest.ResponseRecorder {
		form := url.Values{"From": {"+15551234567"}, "To": {"+15550009999"}, "Body": {body}, "AccountSid": {"AC0123"}, "MessageSid": {"SM1"}}
		if sig == "" {
			sig = sms.Signature(token, hookURL, form)
		}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/twilio", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Twilio-Signature", sig)
		w := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(w, r)
		return w
	}
	consent := func() (recoup.SMSConsent, error) {
		var c recoup.SMSConsent
		err := e.store.Tx(t.Context(), func(tx recoup.Tx) (err error) {
			c, err = tx.(recoup.SMSConsents).SMSConsent("+15551234567")
			return err
		})
		return c, err
	}
	if w := text("STOP", "forged"); w.Code != http.StatusUnauthorized {
		t.Fatalf("a forged signature: %d", w.Code)
	}
	if w := text("STOP", sms.Signature("another-token", hookURL, url.Values{})); w.Code != http.StatusUnauthorized {
		t.Fatalf("another signature: %d", w.Code)
	}
	if _, err := consent(); !recoup.IsNotFound(err) {
		t.Fatalf("a refused request stored %v", err)
	}
	if w := text("hello, is this a real person?", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<Response>") {
		t.Fatalf("a plain text: %d %s", w.Code, w.Body.String())
	}
	if _, err := consent(); !recoup.IsNotFound(err) {
		t.Fatalf("a plain text stored %v", err)
	}
	if w := text("Stop", ""); w.Code != http.StatusOK {
		t.Fatalf("STOP: %d %s", w.Code, w.Body.String())
	}
	if c, err := consent(); err != nil || c.Consented || c.Source != recoup.ConsentStop {
		t.Fatalf("after STOP: %+v %v", c, err)
	}
	text("START", "")
	if c, err := consent(); err != nil || !c.Consented || c.Source != recoup.ConsentStart {
		t.Fatalf("after START: %+v %v", c, err)
	}
}
