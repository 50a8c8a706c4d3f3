package stripefake

import (
	"net/http"
	"sync"
	"time"
)

// Stripe's pace: how long its API takes to answer and how many requests a second it takes
// before answering 429 (Options.Latency and Options.RateLimit). Stripe's live mode allows
// about 100 requests a second per account and answers the rest 429 rate_limit, which a client
// retries after a pause; its answers take 100-300 ms. A scale benchmark sets both, so that the
// engine meets the Stripe it will meet in production, not an instant one.

// limiter counts requests in one-second windows of the fake's clock.
type limiter struct {
	mu     sync.Mutex
	window time.Time
	n      int
}

// allow reports whether a request at now fits the limit of perSecond.
func (l *limiter) allow(now time.Time, perSecond int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := now.Truncate(time.Second)
	if !w.Equal(l.window) {
		l.window, l.n = w, 0
	}
	l.n++
	return l.n <= perSecond
}

// paced applies the rate limit and the latency to a request that passed authentication: it
// reports false when the request was answered already (429, or the client or the fake went
// away while it waited).
func (s *Server) paced(w http.ResponseWriter, r *http.Request, setStatus func(int, bool)) bool {
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return false
		case <-s.closing:
			return false
		}
	}
	if s.opts.RateLimit > 0 && !s.limit.allow(s.opts.Now(), s.opts.RateLimit) {
		setStatus(http.StatusTooManyRequests, false)
		write(w, failureResponse(http.StatusTooManyRequests))
		return false
	}
	return true
}
