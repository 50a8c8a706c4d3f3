package web

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/recoup-hq/recoup/internal/clientip"
	"github.com/recoup-hq/recoup/updatelink"
)

// A customer link is a credential anyone holding it may replay: a forwarded email, a mail
// scanner, a script. linkGuard bounds what replaying one costs (issue 19, item 9):
//
//   - requests per token and per client address, each a token bucket; past it the page
//     says to try again shortly (429);
//   - a click is recorded (timeline row, the message's click count) at most once per token
//     per ClickInterval;
//   - a portal session created for a case is reused while it is fresh (PortalReuse) instead
//     of creating another;
//   - the Stripe calls the link pages make share their own small budget (StripeRate), so a
//     flood cannot take the engine's: past it the page says to try again (503).
//
// The state is in memory, per process: with several processes each bounds its own share.
// Its maps are bounded (maxGuardKeys): stale entries are swept as they fill.

// LinkLimits bound the customer link pages. The zero value of each field selects its default.
type LinkLimits struct {
	// PerToken is the requests a minute one token may make, after a burst of TokenBurst.
	PerToken   float64
	TokenBurst float64
	// PerAddress is the requests a minute one client address may make, after AddressBurst.
	PerAddress   float64
	AddressBurst float64
	// ClickInterval is how long after a recorded click the same token's clicks are not
	// recorded again.
	ClickInterval time.Duration
	// PortalReuse is how long a portal session (or hosted invoice page) is handed out again
	// to the same case's link instead of asking Stripe for a new one.
	PortalReuse time.Duration
	// StripeRate is the Stripe calls a second all link pages together may make, after a
	// burst of StripeBurst.
	StripeRate  float64
	StripeBurst float64
}

// Defaults of LinkLimits: a customer opening their link a few times, or a household sharing
// an address, stays well inside them.
const (
	DefaultLinkPerToken      = 6 // a minute
	DefaultLinkTokenBurst    = 10
	DefaultLinkPerAddress    = 30 // a minute
	DefaultLinkAddressBurst  = 30
	DefaultLinkClickInterval = 30 * time.Minute
	DefaultLinkPortalReuse   = 2 * time.Minute // Stripe's portal session stays usable for a few minutes
	DefaultLinkStripeRate    = 2               // a second: a tenth of the client's default 20
	DefaultLinkStripeBurst   = 10
	maxGuardKeys             = 100_000
)

func (l LinkLimits) withDefaults() LinkLimits {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.PerToken, DefaultLinkPerToken)
	def(&l.TokenBurst, DefaultLinkTokenBurst)
	def(&l.PerAddress, DefaultLinkPerAddress)
	def(&l.AddressBurst, DefaultLinkAddressBurst)
	def(&l.StripeRate, DefaultLinkStripeRate)
	def(&l.StripeBurst, DefaultLinkStripeBurst)
	if l.ClickInterval <= 0 {
		l.ClickInterval = DefaultLinkClickInterval
	}
	if l.PortalReuse <= 0 {
		l.PortalReuse = DefaultLinkPortalReuse
	}
	return l
}

// bucket is a token bucket: rate tokens a second up to burst.
type bucket struct {
	tokens float64
	at     time.Time
}

func (b *bucket) take(now time.Time, rate, burst float64) bool {
	if b.at.IsZero() {
		b.tokens, b.at = burst, now
	}
	if d := now.Sub(b.at).Seconds(); d > 0 {
		b.tokens = min(burst, b.tokens+d*rate)
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

type portalSession struct {
	url, where string
	at         time.Time
}

type linkGuard struct {
	lim LinkLimits

	mu       sync.Mutex
	tokens   map[[32]byte]*bucket
	addrs    map[string]*bucket
	clicks   map[[32]byte]time.Time
	sessions map[string]portalSession
	stripe   bucket
}

func newLinkGuard(l LinkLimits) *linkGuard {
	return &linkGuard{lim: l.withDefaults(), tokens: map[[32]byte]*bucket{}, addrs: map[string]*bucket{},
		clicks: map[[32]byte]time.Time{}, sessions: map[string]portalSession{}}
}

// tokenKey keys the maps by a hash of the token: the guard holds no usable link.
func tokenKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// allowAddress takes one request from the client address's bucket.
func (g *linkGuard) allowAddress(now time.Time, addr string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return takeFrom(g.addrs, addr, now, g.lim.PerAddress/60, g.lim.AddressBurst)
}

// allowToken takes one request from the token's bucket.
func (g *linkGuard) allowToken(now time.Time, token string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return takeFrom(g.tokens, tokenKey(token), now, g.lim.PerToken/60, g.lim.TokenBurst)
}

func takeFrom[K comparable](m map[K]*bucket, k K, now time.Time, rate, burst float64) bool {
	b := m[k]
	if b == nil {
		if len(m) >= maxGuardKeys {
			// Full: drop the buckets that have refilled (they hold nothing a new bucket
			// would not); if none has, start over rather than grow without bound.
			for key, old := range m {
				if now.Sub(old.at).Seconds()*rate >= burst {
					delete(m, key)
				}
			}
			if len(m) >= maxGuardKeys {
				clear(m)
			}
		}
		b = &bucket{}
		m[k] = b
	}
	return b.take(now, rate, burst)
}

// session returns the fresh portal session of key, if there is one.
func (g *linkGuard) session(now time.Time, key string) (portalSession, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.sessions[key]
	if !ok || now.Sub(s.at) >= g.lim.PortalReuse {
		return portalSession{}, false
	}
	return s, true
}

func (g *linkGuard) keepSession(now time.Time, key string, s portalSession) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.sessions) >= maxGuardKeys {
		for k, old := range g.sessions {
			if now.Sub(old.at) >= g.lim.PortalReuse {
				delete(g.sessions, k)
			}
		}
		if len(g.sessions) >= maxGuardKeys {
			clear(g.sessions)
		}
	}
	s.at = now
	g.sessions[key] = s
}

// allowStripe takes one call from the link pages' Stripe budget.
func (g *linkGuard) allowStripe(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stripe.take(now, g.lim.StripeRate, g.lim.StripeBurst)
}

// click reports whether a click on token is to be recorded now, and if so remembers it.
func (g *linkGuard) click(now time.Time, token string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := tokenKey(token)
	if at, ok := g.clicks[k]; ok && now.Sub(at) < g.lim.ClickInterval {
		return false
	}
	if len(g.clicks) >= maxGuardKeys {
		for key, at := range g.clicks {
			if now.Sub(at) >= g.lim.ClickInterval {
				delete(g.clicks, key)
			}
		}
		if len(g.clicks) >= maxGuardKeys {
			clear(g.clicks)
		}
	}
	g.clicks[k] = now
	return true
}

// Refusals of the guard, turned into pages by customerError.
var (
	errLinkTooMany = errors.New("too many requests for this link or from this address")
	errLinkBudget  = errors.New("the link pages' Stripe budget is spent for now")
)

// guardLink runs before a link page that has effects (a Stripe call, a recorded click). A
// HEAD (a mail scanner's prefetch) is answered here, with the token checked and nothing else
// done; a GET past the address's or the token's limit is refused. It reports whether the
// handler goes on.
func (s *Server) guardLink(w http.ResponseWriter, r *http.Request, p updatelink.Purpose) (bool, error) {
	now, token := s.now(), r.PathValue("token")
	if r.Method == http.MethodHead {
		if _, err := s.links.Signer.Verify(token, p, now); err != nil {
			return false, err
		}
		s.showPage(w, http.StatusOK, page{Title: "Open this link in your browser",
			Message: "This link opens a secure page to update your payment details."})
		return false, nil
	}
	// The client behind the trusted proxies (RECOUP_TRUSTED_PROXIES). A loopback address left is
	// a local reverse proxy that is not trusted, speaking for every client at once: limiting it
	// would limit all customers together, so only the token's limit applies to it.
	proxies := clientip.Proxies(s.links.TrustedProxies)
	if ip := proxies.Client(r); !ip.IsLoopback() && !s.linkGuard.allowAddress(now, proxies.Key(r)) {
		return false, errLinkTooMany
	}
	if !s.linkGuard.allowToken(now, token) {
		return false, errLinkTooMany
	}
	return true, nil
}

// linkPortal returns the Stripe page of key (a case's or a notice's): the session handed out
// in the last PortalReuse, else a new one from open within the link pages' Stripe budget.
func (s *Server) linkPortal(key, where string, open func() (string, error)) (string, error) {
	now := s.now()
	if ps, ok := s.linkGuard.session(now, key); ok && ps.where == where {
		return ps.url, nil
	}
	if !s.linkGuard.allowStripe(now) {
		return "", errLinkBudget
	}
	to, err := open()
	if err != nil {
		return "", err
	}
	s.linkGuard.keepSession(now, key, portalSession{url: to, where: where})
	return to, nil
}
