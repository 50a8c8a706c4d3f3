package stripeapi

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

const customerUpdated = `{
  "id": "evt_1", "object": "event", "api_version": "2019-02-19", "created": 1767225600, "livemode": true,
  "type": "customer.updated", "pending_webhooks": 1, "request": "req_old_style_string",
  "data": {
    "object": {"id": "cus_1", "object": "customer", "invoice_settings": {"default_payment_method": "pm_new"}},
    "previous_attributes": {"invoice_settings": {"default_payment_method": "pm_old"}, "metadata": {}, "email": null,
      "address": {"line1": "1 Old St", "postal_code": "N1"}}
  }
}`

func TestVerify(t *testing.T) {
	payload := []byte(customerUpdated)
	now := time.Now()
	sign := func(t time.Time, secrets ...string) string {
		return stripefake.SignatureHeader(payload, t, secrets...)
	}
	tests := []struct {
		name    string
		v       WebhookVerifier
		payload []byte
		header  string
		code    string // "" for success
	}{
		{"valid", WebhookVerifier{Secrets: []string{"whsec_a"}}, payload, sign(now, "whsec_a"), ""},
		{"tampered body", WebhookVerifier{Secrets: []string{"whsec_a"}},
			[]byte(strings.Replace(customerUpdated, "pm_new", "pm_evil", 1)), sign(now, "whsec_a"), recoup.EUNAUTHORIZED},
		{"wrong secret", WebhookVerifier{Secrets: []string{"whsec_b"}}, payload, sign(now, "whsec_a"), recoup.EUNAUTHORIZED},
		{"stale timestamp", WebhookVerifier{Secrets: []string{"whsec_a"}}, payload, sign(now.Add(-301*time.Second), "whsec_a"), recoup.EUNAUTHORIZED},
		{"dated in the future beyond the tolerance", WebhookVerifier{Secrets: []string{"whsec_a"}}, payload, sign(now.Add(301*time.Second), "whsec_a"), recoup.EUNAUTHORIZED},
		{"dated a year ahead", WebhookVerifier{Secrets: []string{"whsec_a"}}, payload, sign(now.AddDate(1, 0, 0), "whsec_a"), recoup.EUNAUTHORIZED},
		{"a little ahead: clocks disagree slightly", WebhookVerifier{Secrets: []string{"whsec_a"}}, payload, sign(now.Add(time.Minute), "whsec_a"), ""},
		{"old but within a longer tolerance", WebhookVerifier{Secrets: []string{"whsec_a"}, Tolerance: time.Hour},
			payload, sign(now.Add(-30*time.Minute), "whsec_a"), ""},
		{"second of two v1 signatures matches", WebhookVerifier{Secrets: []string{"whsec_a"}}, payload,
			sign(now, "whsec_other", "whsec_a"), ""},
		{"rolled secret: old one still listed", WebhookVerifier{Secrets: []string{"whsec_new", "whsec_old"}}, payload,
			sign(now, "whsec_old"), ""},
		{"missing header", WebhookVerifier{Secrets: []string{"whsec_a"}}, payload, "", recoup.EUNAUTHORIZED},
		{"header without v1", WebhookVerifier{Secrets: []string{"whsec_a"}}, payload, "t=123", recoup.EUNAUTHORIZED},
		{"malformed header", WebhookVerifier{Secrets: []string{"whsec_a"}}, payload, "garbage", recoup.EUNAUTHORIZED},
		{"no secret configured", WebhookVerifier{}, payload, sign(now, "whsec_a"), recoup.EINTERNAL},
		{"signed but malformed JSON", WebhookVerifier{Secrets: []string{"whsec_a"}}, []byte(`{"id":`),
			stripefake.SignatureHeader([]byte(`{"id":`), now, "whsec_a"), recoup.EINVALID},
		{"signed thin event", WebhookVerifier{Secrets: []string{"whsec_a"}}, []byte(`{"id":"evt_t","object":"v2.core.event","type":"x"}`),
			stripefake.SignatureHeader([]byte(`{"id":"evt_t","object":"v2.core.event","type":"x"}`), now, "whsec_a"), recoup.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := tt.v.Verify(tt.payload, tt.header)
			if got := recoup.ErrorCode(err); got != tt.code {
				t.Fatalf("Verify: code %q (%v), want %q", got, err, tt.code)
			}
			if err == nil && (ev.ID != "evt_1" || ev.Origin != recoup.OriginWebhook || string(ev.Payload) != string(tt.payload)) {
				t.Errorf("event = %+v", ev)
			}
			if err != nil && err.Error() == "" {
				t.Error("empty error message")
			}
		})
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name         string
		json         string
		objectID     string
		customerID   string
		changed      []string
		wantCodeFail string
	}{
		{name: "customer object is its own customer", json: customerUpdated, objectID: "cus_1", customerID: "cus_1",
			changed: []string{"address.line1", "address.postal_code", "email", "invoice_settings.default_payment_method", "metadata"}},
		{name: "invoice names its customer",
			json:     `{"id":"evt_2","object":"event","type":"invoice.payment_failed","created":1,"data":{"object":{"id":"in_1","object":"invoice","customer":"cus_9"}}}`,
			objectID: "in_1", customerID: "cus_9"},
		{name: "expanded customer",
			json:     `{"id":"evt_3","object":"event","type":"invoice.paid","created":1,"data":{"object":{"id":"in_2","object":"invoice","customer":{"id":"cus_8","object":"customer"}}}}`,
			objectID: "in_2", customerID: "cus_8"},
		{name: "no customer",
			json:     `{"id":"evt_4","object":"event","type":"product.created","created":1,"data":{"object":{"id":"prod_1","object":"product","customer":null}}}`,
			objectID: "prod_1"},
		{name: "subscription status change",
			json:     `{"id":"evt_5","object":"event","type":"customer.subscription.updated","created":1,"data":{"object":{"id":"sub_1","object":"subscription","customer":"cus_1"},"previous_attributes":{"status":"active","items":{"data":[]}}}}`,
			objectID: "sub_1", customerID: "cus_1", changed: []string{"items.data", "status"}},
		{name: "malformed", json: `{"id": 5}`, wantCodeFail: recoup.EINVALID},
		{name: "not JSON", json: `nope`, wantCodeFail: recoup.EINVALID},
		{name: "thin event", json: `{"id":"evt_t","object":"v2.core.event","type":"v1.invoice.paid"}`, wantCodeFail: recoup.EINVALID},
		{name: "no data", json: `{"id":"evt_6","object":"event","type":"x"}`, wantCodeFail: recoup.EINVALID},
		{name: "data.object not an object", json: `{"id":"evt_7","object":"event","type":"x","data":{"object":"in_1"}}`, wantCodeFail: recoup.EINVALID},
		{name: "no type", json: `{"id":"evt_8","object":"event","data":{"object":{}}}`, wantCodeFail: recoup.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseEvent([]byte(tt.json), recoup.OriginReconcile)
			if code := recoup.ErrorCode(err); code != tt.wantCodeFail {
				t.Fatalf("code %q (%v), want %q", code, err, tt.wantCodeFail)
			}
			if err != nil {
				return
			}
			if ev.ObjectID != tt.objectID || ev.CustomerID != tt.customerID || !slices.Equal(ev.Changed, tt.changed) {
				t.Errorf("got object %q customer %q changed %q; want %q %q %q",
					ev.ObjectID, ev.CustomerID, ev.Changed, tt.objectID, tt.customerID, tt.changed)
			}
			if ev.Origin != recoup.OriginReconcile || string(ev.Payload) != tt.json {
				t.Errorf("origin %q, payload kept: %v", ev.Origin, string(ev.Payload) == tt.json)
			}
		})
	}

	ev, err := ParseEvent([]byte(customerUpdated), recoup.OriginWebhook)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != "customer.updated" || !ev.Livemode || !ev.Created.Equal(time.Unix(1767225600, 0)) ||
		!ev.HasChanged("invoice_settings.default_payment_method") {
		t.Errorf("event = %+v", ev)
	}
}
