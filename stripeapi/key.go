package stripeapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// KeyState is what Stripe's latest answers say of the API key.
type KeyState string

// Key states.
const (
	KeyUnchecked KeyState = "unchecked" // Stripe has not answered a request yet
	KeyAccepted  KeyState = "accepted"  // Stripe answered a request made with the key
	KeyRefused   KeyState = "refused"   // Stripe answered 401: the key is wrong, expired or revoked
)

// KeyStatus is what the Client knows of its API key, from the answers to every request it
// sent: a 401 refuses the key, any other answer of Stripe's accepts it (an answer that says
// nothing of the key, such as a 5xx or a transport failure, changes nothing).
type KeyStatus struct {
	State KeyState
	// Since is when the key entered State: the first answer that said so.
	Since time.Time
	// Problem is, while the key is refused, what Stripe answered: status, type, code and
	// message (any key in it masked to its prefix) and request id.
	Problem string
	// Denied lists the requests Stripe refused (403) for a permission a restricted key lacks,
	// by operation; each stays until the operation succeeds. It does not refuse the key: the
	// other requests work.
	Denied []Denial
}

// Denial is a kind of request Stripe refused for a permission the key lacks.
type Denial struct {
	Op      string    // the operation, e.g. "get subscription"
	At      time.Time // the latest refusal
	Problem string    // what Stripe answered; its message names the permission needed
}

// Err returns nil unless Stripe refuses the key, and then an EUNAVAILABLE error saying so,
// fit for a readiness check.
func (s KeyStatus) Err() error {
	if s.State != KeyRefused {
		return nil
	}
	return recoup.Errorf(recoup.EUNAVAILABLE, "Stripe refuses the API key since %s: %s",
		s.Since.UTC().Format(time.RFC3339), s.Problem)
}

// KeyStatus returns what Stripe's answers say of the key.
func (c *Client) KeyStatus() KeyStatus { return c.key.status() }

// CheckKey makes one cheap authenticated read, the newest event (GET /v1/events?limit=1, which
// the documented restricted key may read), so that KeyStatus knows the key before any job
// needs Stripe. Its error is the request's: EUNAUTHORIZED when Stripe refuses the key.
func (c *Client) CheckKey(ctx context.Context) error {
	params := &stripe.EventListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(1), Single: true}}
	err := c.do(ctx, "check key", func() error {
		return c.sc.V1Events.List(ctx, params).Err()
	})
	return mapError(err, "check key")
}

// keyTracker folds the outcome of every request into a KeyStatus, logs each change once, and
// reports it to onChange. It is the Client's own state: each Client has one.
type keyTracker struct {
	now      func() time.Time
	log      *slog.Logger
	onChange func(KeyStatus)

	mu     sync.Mutex
	state  KeyState
	since  time.Time
	reason string
	denied map[string]Denial
}

func newKeyTracker(now func() time.Time, log *slog.Logger, onChange func(KeyStatus)) *keyTracker {
	if onChange == nil {
		onChange = func(KeyStatus) {}
	}
	return &keyTracker{now: now, log: log, onChange: onChange, state: KeyUnchecked, denied: map[string]Denial{}}
}

func (t *keyTracker) status() KeyStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.statusLocked()
}

func (t *keyTracker) statusLocked() KeyStatus {
	s := KeyStatus{State: t.state, Since: t.since, Problem: t.reason}
	for _, d := range t.denied {
		s.Denied = append(s.Denied, d)
	}
	sort.Slice(s.Denied, func(i, j int) bool { return s.Denied[i].Op < s.Denied[j].Op })
	return s
}

// observe records the outcome of a request for op: err is its final error, nil on success.
func (t *keyTracker) observe(ctx context.Context, op string, err error) {
	var se *stripe.Error
	switch {
	case err == nil:
	case !errors.As(err, &se):
		return // no answer from Stripe: nothing learnt of the key
	case se.HTTPStatusCode == http.StatusTooManyRequests || se.HTTPStatusCode >= 500:
		return // Stripe may answer these before it looks at the key
	}
	now := t.now()
	t.mu.Lock()
	prev := t.state
	_, wasDenied := t.denied[op]
	switch {
	case se != nil && se.HTTPStatusCode == http.StatusUnauthorized:
		t.set(KeyRefused, now, describe(se))
	case se != nil && se.HTTPStatusCode == http.StatusForbidden:
		t.set(KeyAccepted, now, "")
		t.denied[op] = Denial{Op: op, At: now, Problem: describe(se)}
	default:
		t.set(KeyAccepted, now, "")
		delete(t.denied, op)
	}
	_, isDenied := t.denied[op]
	if prev == t.state && wasDenied == isDenied {
		t.mu.Unlock()
		return
	}
	// The change is logged and reported before the lock is let go: whoever sees the new state
	// (readiness, a concurrent request) finds its log line written, and concurrent changes
	// reach onChange in the order they were made.
	defer t.mu.Unlock()
	snapshot := t.statusLocked()
	switch {
	case snapshot.State == KeyRefused && prev != KeyRefused:
		t.log.LogAttrs(ctx, slog.LevelError,
			"Stripe refuses the API key: recoup can read nothing from Stripe and charge nothing until STRIPE_SECRET_KEY holds a valid key",
			append([]slog.Attr{slog.String("op", op)}, keyAttrs(se)...)...)
	case prev == KeyRefused:
		t.log.LogAttrs(ctx, slog.LevelInfo, "Stripe accepts the API key again", slog.String("op", op))
	case prev == KeyUnchecked:
		t.log.LogAttrs(ctx, slog.LevelInfo, "Stripe accepts the API key", slog.String("op", op))
	}
	switch {
	case isDenied && !wasDenied:
		t.log.LogAttrs(ctx, slog.LevelError,
			"Stripe refused a request for lack of a permission: give the restricted key the permission Stripe names",
			append([]slog.Attr{slog.String("op", op)}, keyAttrs(se)...)...)
	case wasDenied && !isDenied:
		t.log.LogAttrs(ctx, slog.LevelInfo, "Stripe allows a request it refused before", slog.String("op", op))
	}
	t.onChange(snapshot)
}

// set moves the key to state, keeping Since while the state stands.
func (t *keyTracker) set(state KeyState, now time.Time, reason string) {
	if state != t.state {
		t.since = now
	}
	t.state, t.reason = state, reason
}

// keyAttrs describes Stripe's refusal for the log, its message with any key masked.
func keyAttrs(se *stripe.Error) []slog.Attr {
	if se == nil {
		return nil
	}
	return []slog.Attr{
		slog.Int("status", se.HTTPStatusCode),
		slog.String("type", string(se.Type)),
		slog.String("code", string(se.Code)),
		slog.String("message", maskKeys(se.Msg)),
		slog.String("request_id", se.RequestID),
	}
}

// keyPattern matches a Stripe API key, whole or as Stripe masks it in its messages
// ("sk_live_****abcd"): the prefix says which kind of key and mode, the rest is hidden.
var keyPattern = regexp.MustCompile(`\b((?:sk|rk|pk)_(?:live|test))_[0-9A-Za-z*]+`)

// maskKeys hides every API key in s but its prefix, so that no part of a key reaches a log,
// a job's stored error or a page.
func maskKeys(s string) string { return keyPattern.ReplaceAllString(s, "${1}_…") }
