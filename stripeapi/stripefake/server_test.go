package stripefake_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/stripeapi/stripefake"
	"github.com/stripe/stripe-go/v86"
)

const testKey = "sk_test_fake"

// start runs a fake on 127.0.0.1 and returns it with a stripe-go client pointed at it that
// does not retry (so that every request the test makes is exactly one request).
func start(t *testing.T, opts stripefake.Options) (*stripefake.Server, *stripe.Client) {
	t.Helper()
	fake := stripefake.New(opts).Start()
	t.Cleanup(fake.Close)
	backends := stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:               stripe.String(fake.URL()),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	return fake, stripe.NewClient(testKey, stripe.WithBackends(backends))
}

// rawPost sends a form POST and returns status, headers and body, for byte-level checks.
func rawPost(t *testing.T, fake *stripefake.Server, path, key string, form url.Values) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fake.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

func stripeErr(t *testing.T, err error) *stripe.Error {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *stripe.Error", err)
	}
	return se
}

func TestVirtualClockStampsObjectsAndEvents(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	fake, sc := start(t, stripefake.Options{Now: func() time.Time { return at }})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("do_not_honor")})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := sc.V1Invoices.Retrieve(context.Background(), r.InvoiceID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Created != at.Unix() || inv.StatusTransitions.FinalizedAt != at.Unix() {
		t.Errorf("created %d finalized %d, want %d", inv.Created, inv.StatusTransitions.FinalizedAt, at.Unix())
	}
	for _, ev := range fake.Events() {
		if !ev.Created.Equal(at) {
			t.Errorf("event %s %s created %v, want %v", ev.ID, ev.Type, ev.Created, at)
		}
	}
}

func TestAuthentication(t *testing.T) {
	fake := stripefake.New(stripefake.Options{SecretKey: "sk_test_right"}).Start()
	t.Cleanup(fake.Close)
	backends := stripe.NewBackendsWithConfig(&stripe.BackendConfig{URL: stripe.String(fake.URL()),
		MaxNetworkRetries: stripe.Int64(0), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}})
	_, err := stripe.NewClient("sk_test_wrong", stripe.WithBackends(backends)).V1Customers.Retrieve(context.Background(), "cus_x", nil)
	if se := stripeErr(t, err); se.HTTPStatusCode != http.StatusUnauthorized {
		t.Errorf("wrong key: status %d", se.HTTPStatusCode)
	}
}

func TestFailNextRequestsIsNotSavedUnderTheKey(t *testing.T) {
	fake, _ := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	fake.FailNextRequests(2, http.StatusServiceUnavailable)
	form := url.Values{"off_session": {"true"}}
	for i, want := range []int{503, 503, 200, 200} {
		status, hdr, body := rawPost(t, fake, "/v1/invoices/"+r.InvoiceID+"/pay", "key-1", form)
		if status != want {
			t.Fatalf("request %d: status %d, want %d: %s", i, status, want, body)
		}
		if replayed := hdr.Get("Idempotent-Replayed") == "true"; replayed != (i == 3) {
			t.Errorf("request %d: Idempotent-Replayed = %v", i, replayed)
		}
	}
	if n := fake.SucceededCharges(r.InvoiceID); n != 1 {
		t.Errorf("succeeded charges = %d, want 1", n)
	}
	if n := fake.PayCalls("key-1"); n != 4 {
		t.Errorf("pay calls with key-1 = %d, want 4", n)
	}
}
