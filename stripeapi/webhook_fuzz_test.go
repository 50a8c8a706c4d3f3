package stripeapi

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// FuzzVerify feeds the webhook verifier the bodies and headers a forger could send. Whatever
// arrives, Verify must not panic; it accepts only what the endpoint's secret signed (the same
// delivery is refused under another secret); its refusals are EUNAUTHORIZED or EINVALID; and a
// body correctly signed gets either an event or a clear EINVALID.
func FuzzVerify(f *testing.F) {
	const secret = "whsec_fuzz_0123456789"
	f.Add([]byte(customerUpdated), stripefake.SignatureHeader([]byte(customerUpdated), time.Now(), secret))
	f.Add([]byte(customerUpdated), "t=1,v1=00")
	f.Add([]byte(`{"object":"v2.core.event"}`), "")
	f.Add([]byte(`{`), "t=,v1=")
	f.Add([]byte(`{"id":"evt_1","object":"event","data":null}`), "v1=zz,t=notanumber")
	v := WebhookVerifier{Secrets: []string{secret}}
	other := WebhookVerifier{Secrets: []string{secret + "_other"}}
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		ev, err := v.Verify(body, header)
		switch {
		case err == nil && ev.ID == "":
			t.Fatalf("accepted %q as an event without an id", body)
		case err == nil:
			if _, err := other.Verify(body, header); err == nil {
				t.Fatalf("%q with header %q is accepted under any secret", body, header)
			}
		default:
			if c := recoup.ErrorCode(err); c != recoup.EUNAUTHORIZED && c != recoup.EINVALID {
				t.Fatalf("error code %s for %q: %v", c, body, err)
			}
		}
		if _, err := v.Verify(body, stripefake.SignatureHeader(body, time.Now(), secret)); err != nil && recoup.ErrorCode(err) != recoup.EINVALID {
			t.Fatalf("a correctly signed body %q: %v, want an event or EINVALID", body, err)
		}
	})
}
