package webhook_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/notify/webhook"
)

// Issue 19 item 14: a webhook URL may carry a token; no error shows it, whether the URL is
// refused at start or a delivery fails.
func TestErrorsDoNotShowTheURLsToken(t *testing.T) {
	const token = "tok_SECRET123"
	for _, raw := range []string{
		"https://app.example.com:notaport/hooks?token=" + token, // a malformed port
		"app.example.com/hooks/" + token,                        // not absolute
		"http://app.example.com/hooks?token=" + token,           // not https
		"https://user:" + token + "@app example.com/h",          // a space in the host
	} {
		_, err := webhook.New(webhook.Config{URL: raw, Secret: "a-secret-of-16-bytes"})
		if err == nil {
			t.Fatalf("%q accepted", raw)
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("the error for a malformed URL shows its token: %v", err)
		}
	}
	// A delivery to a closed port fails with the client's error, which quotes the URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := webhook.New(webhook.Config{URL: "http://" + addr + "/hooks?token=" + token, Secret: "a-secret-of-16-bytes", Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Send(t.Context(), recoup.Message{CaseID: 1, Channel: "webhook", Text: "hi"})
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("delivery error %v: want the cause, without the token", err)
	}
}

// Issue 19 item 5: the outgoing webhook secret can be rolled: each delivery is signed with
// every configured key, and names them, so a receiver holding either secret accepts it.
func TestRollTheWebhookSecret(t *testing.T) {
	type got struct{ sig, keys string }
	deliveries := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		for _, s := range []string{"the-new-secret-0123456789", "the-old-secret-0123456789"} {
			if err := webhook.Verify([]byte(s), r.Header.Get(webhook.SignatureHeader), b, time.Now(), 0); err != nil {
				t.Errorf("a receiver with %s: %v", s, err)
			}
		}
		deliveries <- got{r.Header.Get(webhook.SignatureHeader), r.Header.Get(webhook.KeysHeader)}
	}))
	t.Cleanup(srv.Close)
	c, err := webhook.New(webhook.Config{URL: srv.URL, Now: time.Now, Keys: []webhook.Key{
		{ID: 2, Secret: "the-new-secret-0123456789"}, {ID: 1, Secret: "the-old-secret-0123456789"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(t.Context(), recoup.Message{CaseID: 1, Channel: "webhook", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	d := <-deliveries
	if d.keys != "2,1" || strings.Count(d.sig, "v1=") != 2 {
		t.Fatalf("signature %q keys %q: want two v1 values for keys 2,1", d.sig, d.keys)
	}
}
