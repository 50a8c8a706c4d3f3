package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/notify/webhook"
)

const secret = "whsec_test_0123456789abcdef"

var now = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// receiver is a merchant endpoint: it records each delivery and answers with the next status.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []delivery
}

type delivery struct {
	header http.Header
	body   []byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, delivery{req.Header.Clone(), body})
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	w.WriteHeader(status)
}

func newClient(t *testing.T, rcv *receiver) *webhook.Client {
	t.Helper()
	srv := httptest.NewServer(rcv) // 127.0.0.1
	t.Cleanup(srv.Close)
	c, err := webhook.New(webhook.Config{URL: srv.URL + "/hooks/recoup", Secret: secret, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSignatureVerifies(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	c, err := webhook.New(webhook.Config{URL: srv.URL + "/hooks/recoup", Secret: secret, Now: func() time.Time { return now },
		UpdateURL: func(m recoup.Message) (string, error) { return "https://pay.example.com/u/tok-7", nil }})
	if err != nil {
		t.Fatal(err)
	}
	m := recoup.Message{CaseID: 7, InvoiceID: "in_1", CustomerID: "cus_1", Step: 2, Channel: "webhook", Template: "update_card",
		Tone: "helpful", Subject: "Update your card", Text: "Please update your card."}
	if err := c.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	d := rcv.got[0]
	sig := d.header.Get(webhook.SignatureHeader)
	if err := webhook.Verify([]byte(secret), sig, d.body, now.Add(time.Minute), 0); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// The documented recipe, computed independently: HMAC-SHA256 over "<t>.<body>".
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte("1772460000." + string(d.body)))
	if want := "t=1772460000,v1=" + hex.EncodeToString(h.Sum(nil)); sig != want {
		t.Errorf("signature %q, want %q", sig, want)
	}
	var env webhook.Envelope
	if err := json.Unmarshal(d.body, &env); err != nil {
		t.Fatal(err)
	}
	var data webhook.MessageData
	if err := json.Unmarshal(env.Data, &data); err != nil {
		t.Fatal(err)
	}
	if env.ID != m.IdempotencyKey() || d.header.Get(webhook.IDHeader) != env.ID || env.Type != webhook.MessageType ||
		data.CaseID != 7 || data.Text != m.Text || data.UpdateURL != "https://pay.example.com/u/tok-7" || d.header.Get("Content-Type") != "application/json" {
		t.Errorf("delivery %+v %+v headers %v", env, data, d.header)
	}

	for name, tc := range map[string]struct {
		header string
		body   string
		at     time.Time
	}{
		"tampered body":      {sig, strings.Replace(string(d.body), "update", "ignore", 1), now},
		"wrong secret":       {webhook.Sign([]byte("another-secret-123456"), now, d.body), string(d.body), now},
		"stale":              {sig, string(d.body), now.Add(6 * time.Minute)},
		"no signature":       {"t=1772460000", string(d.body), now},
		"garbage":            {"v1=zz,t=x", string(d.body), now},
		"timestamp replaced": {strings.Replace(sig, "t=1772460000", "t=1772460100", 1), string(d.body), now},
	} {
		t.Run(name, func(t *testing.T) {
			if err := webhook.Verify([]byte(secret), tc.header, []byte(tc.body), tc.at, 0); !errors.Is(err, webhook.ErrSignature) {
				t.Errorf("Verify = %v, want ErrSignature", err)
			}
		})
	}
	t.Run("a rolled secret: any v1 may match", func(t *testing.T) {
		two := webhook.Sign([]byte("old-secret-0123456789"), now, d.body) + ",v1=" + strings.Split(sig, "v1=")[1]
		if err := webhook.Verify([]byte(secret), two, d.body, now, 0); err != nil {
			t.Error(err)
		}
	})
}

func TestStatusDecidesRetry(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{
		{200, ""}, {204, ""},
		{301, recoup.EINVALID}, {400, recoup.EINVALID}, {401, recoup.EINVALID}, {404, recoup.EINVALID}, {410, recoup.EINVALID},
		{408, recoup.EUNAVAILABLE}, {429, recoup.EUNAVAILABLE}, {500, recoup.EUNAVAILABLE}, {503, recoup.EUNAVAILABLE},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			c := newClient(t, &receiver{statuses: []int{tc.status}})
			err := c.Emit(t.Context(), recoup.CaseEvent{ID: "recoup-case-1-in_1-case.opened", Type: recoup.CaseOpened})
			if code := recoup.ErrorCode(err); code != tc.want {
				t.Errorf("status %d: error %v (code %q), want code %q", tc.status, err, code, tc.want)
			}
		})
	}
}

// A retried delivery carries the same id, so the merchant can drop the duplicate.
func TestRetryRepeatsTheID(t *testing.T) {
	rcv := &receiver{statuses: []int{503, 200}}
	c := newClient(t, rcv)
	ev := recoup.NewCaseEvent(recoup.CaseRecovered, recoup.Case{ID: 3, InvoiceID: "in_3", CustomerID: "cus_3", State: recoup.StateRecovered, ResolvedAt: now})
	if err := c.Emit(t.Context(), ev); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Fatalf("first delivery: %v, want a temporary error", err)
	}
	if err := c.Emit(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if len(rcv.got) != 2 || rcv.got[0].header.Get(webhook.IDHeader) != rcv.got[1].header.Get(webhook.IDHeader) {
		t.Fatalf("deliveries %d, ids differ or missing", len(rcv.got))
	}
	var env webhook.Envelope
	if err := json.Unmarshal(rcv.got[1].body, &env); err != nil || env.Type != "case.recovered" || env.ID != "recoup-case-3-in_3-case.recovered" {
		t.Errorf("envelope %+v %v", env, err)
	}
}

func TestTimeoutIsTemporary(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(block); srv.Close() })
	c, err := webhook.New(webhook.Config{URL: srv.URL, Secret: secret, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Emit(t.Context(), recoup.CaseEvent{ID: "x", Type: recoup.CaseOpened}); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Fatalf("error %v, want EUNAVAILABLE", err)
	}
}

func TestConfigRefused(t *testing.T) {
	for name, cfg := range map[string]webhook.Config{
		"plain http to a remote host": {URL: "http://merchant.example/hook", Secret: secret},
		"no URL":                      {Secret: secret},
		"short secret":                {URL: "https://merchant.example/hook", Secret: "short"},
	} {
		if _, err := webhook.New(cfg); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("%s: error %v, want EINVALID", name, err)
		}
	}
}
