package stripeapi

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v86"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// syncBuffer is a log destination safe for the client's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// changes records Config.OnKeyChange's reports.
type changes struct {
	mu   sync.Mutex
	seen []KeyStatus
}

func (c *changes) add(s KeyStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, s)
}

func (c *changes) last() KeyStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen) == 0 {
		return KeyStatus{}
	}
	return c.seen[len(c.seen)-1]
}

// keyWithTail is a key whose last characters, which Stripe quotes in its refusals, must show
// nowhere.
const keyWithTail = "sk_test_51SecretTail9876"

func TestKeyRefusedAndAcceptedAgain(t *testing.T) {
	fake := startFake(t)
	var log syncBuffer
	kinds := &kinds{n: map[string]int{}}
	var seen changes
	c, err := New(Config{
		SecretKey: keyWithTail, APIBase: fake.URL(),
		Logger:      slog.New(slog.NewTextHandler(&log, nil)),
		OnError:     kinds.add,
		OnKeyChange: seen.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	cus := fake.CreateCustomer(stripefake.CustomerParams{Email: "a@example.com"})

	if s := c.KeyStatus(); s.State != KeyUnchecked || s.Err() != nil {
		t.Fatalf("before any request: %+v, Err %v; want unchecked, no error", s, s.Err())
	}
	if err := c.CheckKey(t.Context()); err != nil {
		t.Fatalf("CheckKey with a good key: %v", err)
	}
	if s := c.KeyStatus(); s.State != KeyAccepted || s.Err() != nil {
		t.Fatalf("after CheckKey: %+v; want accepted", s)
	}

	fake.RefuseKey(true)
	err = c.CheckKey(t.Context())
	if recoup.ErrorCode(err) != recoup.EUNAUTHORIZED {
		t.Fatalf("CheckKey with a refused key = %v, want %s", err, recoup.EUNAUTHORIZED)
	}
	s := c.KeyStatus()
	if s.State != KeyRefused || !strings.Contains(s.Problem, "HTTP 401") || !strings.Contains(s.Problem, "Invalid API Key provided: sk_test_…") {
		t.Errorf("refused: %+v; want refused with Stripe's 401 and its message", s)
	}
	if recoup.ErrorCode(s.Err()) != recoup.EUNAVAILABLE {
		t.Errorf("refused Err() = %v, want %s", s.Err(), recoup.EUNAVAILABLE)
	}
	if seen.last().State != KeyRefused {
		t.Errorf("OnKeyChange last saw %+v, want refused", seen.last())
	}
	if kinds.count("authentication") != 1 {
		t.Errorf("OnError counted %d authentication failures, want 1", kinds.count("authentication"))
	}
	// A job's call while refused fails the same way and keeps the key refused, since when
	// it was first refused.
	if _, err := c.Customer(t.Context(), cus); recoup.ErrorCode(err) != recoup.EUNAUTHORIZED {
		t.Errorf("Customer while refused = %v, want %s", err, recoup.EUNAUTHORIZED)
	}
	if again := c.KeyStatus(); again.State != KeyRefused || !again.Since.Equal(s.Since) {
		t.Errorf("after a second refusal: %+v; want refused since %s", again, s.Since)
	}
	out := log.String()
	if n := strings.Count(out, "level=ERROR"); n != 1 || !strings.Contains(out, "Stripe refuses the API key") {
		t.Errorf("log has %d errors, want one saying Stripe refuses the key:\n%s", n, out)
	}
	for _, text := range []string{out, err.Error(), s.Problem} {
		if strings.Contains(text, "9876") {
			t.Errorf("the key (or its last characters) shows: %s", text)
		}
	}

	// Any later answer of Stripe's accepts it again.
	fake.RefuseKey(false)
	if _, err := c.Customer(t.Context(), cus); err != nil {
		t.Fatalf("Customer with the key accepted again: %v", err)
	}
	if s := c.KeyStatus(); s.State != KeyAccepted || s.Problem != "" || s.Err() != nil {
		t.Errorf("after a success: %+v; want accepted", s)
	}
	if seen.last().State != KeyAccepted {
		t.Errorf("OnKeyChange last saw %+v, want accepted", seen.last())
	}
	if !strings.Contains(log.String(), "Stripe accepts the API key again") {
		t.Errorf("the log does not say the key is accepted again:\n%s", log.String())
	}
}

// A restricted key without a permission is not refused: the requests that need the
// permission fail (EUNAUTHORIZED, counted apart) and are listed until they succeed.
func TestKeyLackingAPermission(t *testing.T) {
	fake := startFake(t)
	var log syncBuffer
	kinds := &kinds{n: map[string]int{}}
	c, err := New(Config{SecretKey: keyWithTail, APIBase: fake.URL(), Logger: slog.New(slog.NewTextHandler(&log, nil)), OnError: kinds.add})
	if err != nil {
		t.Fatal(err)
	}
	cus := fake.CreateCustomer(stripefake.CustomerParams{Email: "a@example.com"})
	fake.DenyPermission("GET", "/v1/customers/", "rak_customer_read")

	if _, err := c.Customer(t.Context(), cus); recoup.ErrorCode(err) != recoup.EUNAUTHORIZED ||
		!strings.Contains(err.Error(), "rak_customer_read") || strings.Contains(err.Error(), "9876") {
		t.Fatalf("Customer without the permission = %v; want %s naming the permission, the key masked", err, recoup.EUNAUTHORIZED)
	}
	if err := c.CheckKey(t.Context()); err != nil {
		t.Fatalf("CheckKey: %v", err)
	}
	s := c.KeyStatus()
	if s.State != KeyAccepted || s.Err() != nil || len(s.Denied) != 1 || s.Denied[0].Op != "get customer" ||
		!strings.Contains(s.Denied[0].Problem, "rak_customer_read") {
		t.Errorf("status %+v; want accepted, with get customer denied for rak_customer_read", s)
	}
	if kinds.count("permission") != 1 || kinds.count("authentication") != 0 {
		t.Errorf("OnError counted permission %d, authentication %d; want 1, 0", kinds.count("permission"), kinds.count("authentication"))
	}
	if out := log.String(); strings.Count(out, "level=ERROR") != 1 || !strings.Contains(out, "lack of a permission") {
		t.Errorf("log, want one error about the permission:\n%s", out)
	}
}

func (k *kinds) count(kind string) int { k.mu.Lock(); defer k.mu.Unlock(); return k.n[kind] }

func TestMaskKeys(t *testing.T) {
	for in, want := range map[string]string{
		"Invalid API Key provided: sk_live_********************1234":                "Invalid API Key provided: sk_live_…",
		"The provided key 'rk_test_***abcd' does not have the required permissions": "The provided key 'rk_test_…' does not have the required permissions",
		"Expired API Key provided: sk_test_51Habc":                                  "Expired API Key provided: sk_test_…",
		"No such customer: 'cus_123'":                                               "No such customer: 'cus_123'",
	} {
		if got := maskKeys(in); got != want {
			t.Errorf("maskKeys(%q) = %q, want %q", in, got, want)
		}
	}
}

// A request once refused for a permission is listed until it succeeds; 429s, 5xx and
// transport failures say nothing of the key.
func TestKeyTrackerFolding(t *testing.T) {
	var seen changes
	k := newKeyTracker(time.Now, slog.New(slog.DiscardHandler), seen.add)
	denied := &stripe.Error{HTTPStatusCode: http.StatusForbidden, Type: stripe.ErrorTypeInvalidRequest, Msg: "Having the 'rak_event_read' permission would allow this request to continue."}
	ctx := t.Context()

	k.observe(ctx, "check key", &stripe.Error{HTTPStatusCode: http.StatusServiceUnavailable, Type: stripe.ErrorTypeAPI})
	k.observe(ctx, "check key", &stripe.Error{HTTPStatusCode: http.StatusTooManyRequests, Type: stripe.ErrorTypeInvalidRequest})
	k.observe(ctx, "check key", errors.New("dial tcp: connection refused"))
	if s := k.status(); s.State != KeyUnchecked || len(seen.seen) != 0 {
		t.Fatalf("after answers that say nothing of the key: %+v, %d changes; want unchecked, none", s, len(seen.seen))
	}
	k.observe(ctx, "check key", denied)
	if s := k.status(); s.State != KeyAccepted || len(s.Denied) != 1 {
		t.Fatalf("after a 403: %+v; want accepted with one denial", s)
	}
	k.observe(ctx, "get invoice", nil)
	if s := k.status(); len(s.Denied) != 1 {
		t.Fatalf("another request's success cleared the denial: %+v", s)
	}
	k.observe(ctx, "check key", nil)
	if s := k.status(); len(s.Denied) != 0 || len(seen.last().Denied) != 0 {
		t.Errorf("after the request succeeds: %+v; want no denial", s)
	}
}
