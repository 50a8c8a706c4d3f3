package dashboard

import (
	"sync"
	"time"
)

// Login limits: a client address may try loginsPerIP logins, and an account may fail
// failuresPerUser times, in any window of limitWindow. They bound password guessing against
// one account from many addresses and against many accounts from one address.
const (
	loginsPerIP     = 20
	failuresPerUser = 5
	limitWindow     = 15 * time.Minute
)

// limiter counts events per key in a sliding window. It is in memory: with several recoup
// processes behind a load balancer each counts on its own, which multiplies the limits by the
// number of processes but still bounds them.
type limiter struct {
	mu     sync.Mutex
	events map[string][]time.Time
	swept  time.Time
}

func newLimiter() *limiter { return &limiter{events: map[string][]time.Time{}} }

// allowed reports whether key has had fewer than max events in the window before now.
func (l *limiter) allowed(key string, max int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) < max
}

// add records an event of key at now.
func (l *limiter) add(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events[key] = append(l.recent(key, now), now)
	if now.Sub(l.swept) > limitWindow {
		// Forget the keys that went quiet, so the map does not grow with every address seen.
		for k := range l.events {
			if len(l.recent(k, now)) == 0 {
				delete(l.events, k)
			}
		}
		l.swept = now
	}
}

// reset forgets key (a successful login clears the account's failures).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.events, key)
}

// recent returns key's events in the window ending at now, dropping older ones. l.mu is held.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	ts := l.events[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= limitWindow {
		i++
	}
	ts = ts[i:]
	l.events[key] = ts
	return ts
}
