package stripeapi

import (
	"bytes"
	"testing"

	"github.com/recoup-hq/recoup"
)

// FuzzParseEvent feeds the event parser any body (a verified webhook, a page of the event
// list). It must not panic; it refuses with EINVALID, or returns an event with an id and a
// type, whose payload is the body byte for byte, and which parses again to the same event.
// Seeds: the f.Add cases and testdata/fuzz/FuzzParseEvent.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(customerUpdated))
	f.Add([]byte(`{"id":"evt_1","object":"event","type":"invoice.payment_failed","created":1,"data":{"object":{"id":"in_1","object":"invoice","customer":{"id":"cus_1"}}}}`))
	f.Add([]byte(`{"id":"evt_2","object":"event","type":"x","data":{"object":{"id":"cus_1","object":"customer"},"previous_attributes":{"a":{"b":1},"c":null}}}`))
	f.Add([]byte(`{"object":"v2.core.event"}`))
	f.Add([]byte(`{"id":"evt_3","object":"event","type":"x","data":{"object":[]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseEvent(body, recoup.OriginWebhook)
		if err != nil {
			if recoup.ErrorCode(err) != recoup.EINVALID || err.Error() == "" {
				t.Fatalf("%q: %v, want a clear EINVALID", body, err)
			}
			return
		}
		if ev.ID == "" || ev.Type == "" || !bytes.Equal(ev.Payload, body) || ev.Origin != recoup.OriginWebhook {
			t.Fatalf("%q parsed to %+v", body, ev)
		}
		again, err := ParseEvent(ev.Payload, recoup.OriginWebhook)
		if err != nil || again.ID != ev.ID || again.CustomerID != ev.CustomerID || again.ObjectID != ev.ObjectID || len(again.Changed) != len(ev.Changed) {
			t.Fatalf("%q parses to %+v, then to %+v (%v)", body, ev, again, err)
		}
	})
}
