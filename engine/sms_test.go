package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/notify"
	"github.com/recoup-hq/recoup/notify/sms"
	"github.com/recoup-hq/recoup/notify/sms/twiliofake"
)

// The campaign texts at 22:00 UTC, inside the SMS quiet hours (the campaign turns its own
// off), so each text waits until 08:00.
const smsPolicy = testPolicy + `campaign:
  hour: 22
  quiet_hours: [0, 0]
  steps:
    - {day: 0, channel: sms, template: update_card, tone: helpful}
    - {day: 2, channel: sms, template: update_card, tone: urgent}
`

type smsWorld struct {
	*harness
	fake *twiliofake.Server
	cus  recoup.Customer
}

func newSMSWorld(t *testing.T, cus recoup.Customer) *smsWorld {
	t.Helper()
	h := newHarness(t, smsPolicy)
	const sid, token = "AC0123456789abcdef0123456789abcdef", "twilio-token"
	fake := twiliofake.New(sid, token)
	t.Cleanup(fake.Close)
	tw, err := sms.New(sms.Config{AccountSID: sid, AuthToken: token, From: "+15550009999", APIBase: fake.URL(), PriceMicros: 8300, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	w := &smsWorld{harness: h, fake: fake, cus: cus}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Policy: h.eng.Policy(),
		Notifier:  notify.NewRouter(map[string]recoup.Notifier{"sms": tw}),
		Customers: customersFunc(func(string) (recoup.Customer, error) { return w.cus, nil }),
		Renderer: rendererFunc(func(d engine.Draft) (engine.Content, error) {
			return engine.Content{Text: "Acme: your payment failed. https://pay.example.com/u/TOKEN Reply STOP to opt out."}, nil
		})})
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	return w
}

func (w *smsWorld) consent(c recoup.SMSConsent) {
	w.t.Helper()
	if err := w.store.Tx(w.ctx, func(tx recoup.Tx) error { return tx.(recoup.SMSConsents).PutSMSConsent(&c) }); err != nil {
		w.t.Fatal(err)
	}
}

func TestSMSWithConsentIsSentOutsideQuietHoursAndCosted(t *testing.T) {
	w := newSMSWorld(t, recoup.Customer{ID: "cus_1", Phone: "+15551234567", SMSConsent: true})
	w.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	w.runDue()
	c := w.caseOf("in_1")
	var at time.Time
	for _, j := range w.pending() {
		if j.Kind == recoup.JobMessage {
			at = j.RunAt
		}
	}
	if want := time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC); !at.Equal(want) {
		t.Fatalf("the text is planned at %v, want %v (after the quiet hours)", at, want)
	}
	w.advance(at.Sub(w.now))
	got := w.fake.Messages()
	if len(got) != 1 || got[0].To != "+15551234567" || !strings.Contains(got[0].Body, "/u/") {
		t.Fatalf("texts %+v", got)
	}
	ms := w.messages(c)
	if len(ms) != 1 || ms[0].Status != recoup.MessageSent || ms[0].Channel != "sms" || ms[0].To != "+15551234567" {
		t.Fatalf("messages %+v", ms)
	}
	costs, err := w.store.(recoup.CostStore).ChannelCosts(w.ctx, w.now.Add(-time.Hour), w.now.Add(time.Hour))
	if err != nil || len(costs) != 1 || costs[0] != (recoup.ChannelCost{Channel: "sms", Currency: "USD", Messages: 1, CostMicros: 8300}) {
		t.Errorf("costs %+v %v", costs, err)
	}
}

func TestSMSConsentAndStop(t *testing.T) {
	tests := []struct {
		name     string
		cus      recoup.Customer
		consents []recoup.SMSConsent
		sent     bool
		why      string
	}{
		{name: "no consent", cus: recoup.Customer{Phone: "+15551234567"}, why: "no consent to texts"},
		{name: "no phone", cus: recoup.Customer{SMSConsent: true}, why: "no phone number"},
		{name: "STOP outranks the metadata", cus: recoup.Customer{Phone: "+15551234567", SMSConsent: true},
			consents: []recoup.SMSConsent{{Phone: "+15551234567", Consented: false, Source: recoup.ConsentStop}}, why: "opted out of texts (stop"},
		{name: "START after STOP", cus: recoup.Customer{Phone: "+15551234567"},
			consents: []recoup.SMSConsent{{Phone: "+15551234567", Consented: false, Source: recoup.ConsentStop},
				{Phone: "+15551234567", Consented: true, Source: recoup.ConsentStart}}, sent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSMSWorld(t, tt.cus)
			for _, c := range tt.consents {
				c.UpdatedAt = w.now
				w.consent(c)
			}
			w.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
			w.advance(20 * time.Hour)
			if n := len(w.fake.Messages()); (n > 0) != tt.sent {
				t.Fatalf("%d texts sent, want sent=%v", n, tt.sent)
			}
			if tt.sent {
				return
			}
			ms := w.messages(w.caseOf("in_1"))
			if len(ms) == 0 || ms[0].Status != recoup.MessageSkipped || !strings.Contains(ms[0].Error, tt.why) {
				t.Errorf("messages %+v, want skipped: %q", ms, tt.why)
			}
		})
	}
}

// A number Twilio refuses for good (a landline) fails the step and stops the texts; Twilio
// down is retried.
func TestSMSTwilioFailures(t *testing.T) {
	w := newSMSWorld(t, recoup.Customer{ID: "cus_1", Phone: "+15551234567", SMSConsent: true})
	w.fake.FailNext(twiliofake.Failure{Status: 503, Code: 20503, Message: "Service Unavailable"},
		twiliofake.Failure{Status: 400, Code: 21614, Message: "'To' number is not a valid mobile number"})
	w.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	w.runDue()
	j, ok := w.take(func(j recoup.Job) bool { return j.Kind == recoup.JobMessage })
	if !ok {
		t.Fatal("no message job")
	}
	w.now = j.RunAt
	if err := w.run(j); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Fatalf("Twilio down: %v, want a temporary error (the job is retried)", err)
	}
	if err := w.run(j); err != nil { // the job's retry meets the refusal
		t.Fatal(err)
	}
	c := w.caseOf("in_1")
	ms := w.messages(c)
	if len(ms) == 0 || ms[0].Status != recoup.MessageFailed || !strings.Contains(ms[0].Error, "21614") {
		t.Fatalf("messages %+v", ms)
	}
	if err := w.store.Tx(context.Background(), func(tx recoup.Tx) error {
		_, err := tx.Suppression("cus_1", "sms")
		return err
	}); err != nil {
		t.Errorf("no sms suppression after the refusal: %v", err)
	}
	w.advance(3 * 24 * time.Hour)
	if n := len(w.fake.Messages()); n != 0 {
		t.Errorf("%d texts sent to a refused number", n)
	}
}

// A number that opted out at Twilio (21610) is stored as opted out, not suppressed for good: a
// START texted later lets the next text go.
func TestSMSOptedOutAtTwilio(t *testing.T) {
	w := newSMSWorld(t, recoup.Customer{ID: "cus_1", Phone: "+15551234567", SMSConsent: true})
	w.fake.FailNext(twiliofake.Failure{Status: 400, Code: 21610, Message: "Attempt to send to unsubscribed recipient"})
	w.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	w.advance(20 * time.Hour)
	ms := w.messages(w.caseOf("in_1"))
	if len(ms) != 1 || ms[0].Status != recoup.MessageFailed {
		t.Fatalf("messages %+v", ms)
	}
	if err := w.store.Tx(w.ctx, func(tx recoup.Tx) error {
		if _, err := tx.Suppression("cus_1", "sms"); !recoup.IsNotFound(err) {
			t.Errorf("suppressed for good: %v", err)
		}
		c, err := tx.(recoup.SMSConsents).SMSConsent("+15551234567")
		if err != nil || c.Consented || c.CustomerID != "cus_1" {
			t.Errorf("consent %+v %v", c, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.consent(recoup.SMSConsent{Phone: "+15551234567", Consented: true, Source: recoup.ConsentStart, UpdatedAt: w.now})
	w.advance(2 * 24 * time.Hour) // the day-2 step
	if n := len(w.fake.Messages()); n != 1 {
		t.Errorf("%d texts after START, want the day-2 one", n)
	}
}
