package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/notify/sms"
	"github.com/recoup-hq/recoup/notify/sms/twiliofake"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

const pathsPolicy = e2ePolicy + `
campaign:
  hour: 0
  quiet_hours: [0, 0]
  steps:
    - {day: 0, channel: sms, template: update_card, tone: helpful, categories: [hard]}
payment_plan: {above: 50000, parts: 2, every: 30d}
offers: [pay_now, payment_plan, cheaper_plan, pause]
`

// recoup serve with the sms channel on a fake Twilio and the policy's offers, as a newcomer
// sets them up from the README: a hard decline of a customer who agreed to texts gets a text
// (outside the SMS quiet hours) with the card update link, and its cost is counted; the link
// shows the offers; the customer accepts the payment plan, which replaces the invoice by two
// parts in Stripe, once; the choice is counted; and a STOP texted back is stored.
func TestE2EOffersAndSMS(t *testing.T) {
	const sid, token = "AC0123456789abcdef0123456789abcdef", "e2e-twilio-auth-token"
	tw := twiliofake.New(sid, token)
	t.Cleanup(tw.Close)
	t.Setenv("TWILIO_ACCOUNT_SID", sid)
	t.Setenv("TWILIO_AUTH_TOKEN", token)
	w := newWorld(t)
	w.policyYAML = pathsPolicy
	p := w.start(sqliteURL(t), func(c *ServeCmd) {
		c.CommsFlags = CommsFlags{PublicURL: "http://127.0.0.1:1", LinkSecret: "an-e2e-link-secret-of-32-characters!", BrandName: "Acme",
			SMSFrom: "+15550009999", SMSPrice: "0.0083 USD", TwilioAPIBase: tw.URL()}
	})
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "ada@example.com", Phone: "+15551234567", AmountDue: 100_000,
		Metadata: map[string]string{"recoup_sms_consent": "yes"}, Decline: stripefake.CardDeclined("stolen_card")})
	if err != nil {
		t.Fatal(err)
	}
	p.waitState(r.InvoiceID, recoup.StateAwaitingCustomer)
	if now := w.clock.Now().UTC(); now.Hour() >= 21 || now.Hour() < 8 {
		next := time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, time.UTC)
		if now.Hour() >= 21 {
			next = next.AddDate(0, 0, 1)
		}
		w.clock.advanceTo(time.Now().Add(next.Sub(now) + time.Minute))
	}
	p.waitFor("the text", func() bool { return len(tw.Messages()) == 1 })
	text := tw.Messages()[0]
	link := regexp.MustCompile(`http://127\.0\.0\.1:1(/u/[A-Za-z0-9_-]+)`).FindStringSubmatch(text.Body)
	if text.To != "+15551234567" || link == nil || !strings.Contains(text.Body, "Reply STOP") || sms.Segments(text.Body) > 2 {
		t.Fatalf("text %+v", text)
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(p.url + link[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="offer" value="payment_plan">\s*<input type="hidden" name="form_token" value="([A-Za-z0-9_-]+)">`).FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(string(page), "Switch to a cheaper plan") {
		t.Fatalf("offers page %d:\n%s", resp.StatusCode, page)
	}
	form := url.Values{"offer": {"payment_plan"}, "form_token": {string(m[1])}}
	for range 2 { // a double click
		resp, err = client.PostForm(p.url+link[1]+"/offer", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !(strings.Contains(string(body), "Your payment plan is set up") || strings.Contains(string(body), "Nothing to pay")) {
			t.Fatalf("payment plan: %d\n%s", resp.StatusCode, body)
		}
	}
	p.waitState(r.InvoiceID, recoup.StateClosed)
	if parts := w.fake.InvoicesWithMetadata("recoup_plan_of", r.InvoiceID); len(parts) != 2 {
		t.Errorf("plan parts %+v", parts)
	}
	store := p.app.backend.store
	from, to := w.clock.Now().Add(-48*time.Hour), w.clock.Now().Add(time.Hour)
	counts, err := store.(recoup.OfferStore).OfferCounts(t.Context(), from, to)
	if err != nil || len(counts) != 1 || counts[0] != (recoup.OfferCount{Offer: recoup.OfferPaymentPlan, Chosen: 1}) {
		t.Errorf("offer counts %+v %v", counts, err)
	}
	costs, err := store.(recoup.CostStore).ChannelCosts(t.Context(), from, to)
	if err != nil || len(costs) != 1 || costs[0].Channel != "sms" || costs[0].CostMicros != 8300*int64(sms.Segments(text.Body)) {
		t.Errorf("costs %+v %v", costs, err)
	}
	if v, _ := p.caseOf(r.InvoiceID); !strings.Contains(timelineText(v.Timeline), "the customer chose payment plan") {
		t.Errorf("timeline:\n%s", timelineText(v.Timeline))
	}

	// STOP, signed by Twilio over the public URL it was configured with.
	stop := url.Values{"From": {"+15551234567"}, "To": {"+15550009999"}, "Body": {"STOP"}, "AccountSid": {sid}}
	req, _ := http.NewRequest(http.MethodPost, p.url+"/webhooks/twilio", strings.NewReader(stop.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.Signature(token, "http://127.0.0.1:1/webhooks/twilio", stop))
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("STOP: %d", resp.StatusCode)
	}
	if err := store.Tx(t.Context(), func(tx recoup.Tx) error {
		c, err := tx.(recoup.SMSConsents).SMSConsent("+15551234567")
		if err == nil && (c.Consented || c.Source != recoup.ConsentStop) {
			t.Errorf("consent after STOP: %+v", c)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Another customer looks at a cheaper plan in Stripe's portal, then pauses.
	r2, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "grace@example.com", Phone: "+15557654321", AmountDue: 100_000,
		Metadata: map[string]string{"recoup_sms_consent": "yes"}, Decline: stripefake.CardDeclined("stolen_card")})
	if err != nil {
		t.Fatal(err)
	}
	p.waitFor("the second text", func() bool { return len(tw.Messages()) == 2 })
	link = regexp.MustCompile(`http://127\.0\.0\.1:1(/u/[A-Za-z0-9_-]+)`).FindStringSubmatch(tw.Messages()[1].Body)
	resp, err = client.Get(p.url + link[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	tokens := map[string]string{}
	for _, m := range regexp.MustCompile(`name="offer" value="([a-z_]+)">\s*<input type="hidden" name="form_token" value="([A-Za-z0-9_-]+)">`).FindAllSubmatch(page, -1) {
		tokens[string(m[1])] = string(m[2])
	}
	resp, err = client.PostForm(p.url+link[1]+"/offer", url.Values{"offer": {"cheaper_plan"}, "form_token": {tokens["cheaper_plan"]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sessions := w.fake.PortalSessions()
	if resp.StatusCode != http.StatusSeeOther || len(sessions) != 1 || sessions[0].Flow != "subscription_update" || sessions[0].Subscription != r2.SubscriptionID {
		t.Fatalf("cheaper plan: %d, sessions %+v", resp.StatusCode, sessions)
	}
	resp, err = client.PostForm(p.url+link[1]+"/offer", url.Values{"offer": {"pause"}, "form_token": {tokens["pause"]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || w.fake.PauseCollection(r2.SubscriptionID) != "void" {
		t.Fatalf("pause: %d, pause_collection %q", resp.StatusCode, w.fake.PauseCollection(r2.SubscriptionID))
	}
	p.waitState(r2.InvoiceID, recoup.StatePaused)
	counts, err = store.(recoup.OfferStore).OfferCounts(t.Context(), from, w.clock.Now().Add(time.Hour))
	if err != nil || len(counts) != 3 {
		t.Errorf("offer counts %+v %v", counts, err)
	}
}
