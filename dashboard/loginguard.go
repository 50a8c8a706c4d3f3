package dashboard

import (
	"fmt"
	"net/http"
	"time"

	"github.com/recoup-hq/recoup/internal/clientip"
)

// DefaultMaxConcurrentLogins is how many password checks run at once when
// Config.MaxConcurrentLogins is 0. Each holds argon2id's 19 MiB while it runs.
const DefaultMaxConcurrentLogins = 4

// loginWait is how long a login waits for a free password check before it is refused (503):
// long enough that people signing in at the same moment all get in, short enough that a flood
// does not pile up goroutines and connections.
const loginWait = 2 * time.Second

// acquireCheck takes one of the password-check slots, waiting at most loginWait (or until the
// request is cancelled). It returns the release function, or false when none was free.
func (d *Dashboard) acquireCheck(r *http.Request) (release func(), ok bool) {
	select {
	case d.checks <- struct{}{}:
		return func() { <-d.checks }, true
	default:
	}
	t := time.NewTimer(loginWait)
	defer t.Stop()
	select {
	case d.checks <- struct{}{}:
		return func() { <-d.checks }, true
	case <-t.C:
	case <-r.Context().Done():
	}
	return nil, false
}

// waitMessage tells someone refused by the login limits how long to wait.
func waitMessage(wait time.Duration) string {
	switch m := int((wait + time.Minute - 1) / time.Minute); {
	case m <= 1:
		return "Too many attempts. Please wait a minute and try again."
	case m < 120:
		return fmt.Sprintf("Too many attempts. Please wait %d minutes and try again.", m)
	default:
		return fmt.Sprintf("Too many attempts. Please wait %d hours and try again.", (m+59)/60)
	}
}

// clientIP is the address the login limits count: the client behind Config.TrustedProxies, an
// IPv6 client by its /64 (internal/clientip).
func (d *Dashboard) clientIP(r *http.Request) string {
	return clientip.Proxies(d.cfg.TrustedProxies).Key(r)
}
