package dashboard

import (
	"sync"
	"time"
)

// Login limits. Every attempt is reserved before its password is hashed, for the client
// address, for the account from that address, and for the account as a whole, in one step
// (loginLimiter.reserve): concurrent guesses cannot all pass a check made before any of them
// is recorded.
//
//   - A client address may try loginsPerIP logins in any window of limitWindow, whatever the
//     accounts: this bounds guessing many accounts from one address.
//   - An account may fail failuresPerPair times from one address; the pair is then locked for
//     limitWindow, and each further lock of the same pair lasts twice as long as the one before,
//     up to maxLock. Only that address is locked out: someone guessing at the admin's account
//     does not lock the admin out of theirs.
//   - An account may fail failuresPerAccount times in a window from all addresses together,
//     which bounds guessing from many addresses. Addresses that signed in to the account
//     before (in the last knownFor) are exempt from this account-wide limit, so a distributed
//     attack does not lock out the people who use the account either.
//
// The limiter is in memory: with several recoup processes behind a load balancer each counts on
// its own, which multiplies the limits by the number of processes but still bounds them.
const (
	loginsPerIP        = 20
	failuresPerPair    = 5
	failuresPerAccount = 100
	limitWindow        = 15 * time.Minute
	maxLock            = 24 * time.Hour
	knownFor           = 30 * 24 * time.Hour
)

// loginLimiter keeps the counts of login attempts.
type loginLimiter struct {
	mu       sync.Mutex
	ips      map[string][]time.Time // attempts per address
	accounts map[string][]time.Time // attempts not (yet) followed by a success, per account
	pairs    map[pairKey]*pairState
	known    map[pairKey]time.Time // the last successful sign-in of an account from an address
	swept    time.Time
}

type pairKey struct{ account, ip string }

// pairState is an account's attempts from one address: the failures in the current window,
// the lock they led to, and how many locks there have been (for the backoff).
type pairState struct {
	fails       []time.Time
	lockedUntil time.Time
	locks       int
	last        time.Time
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{ips: map[string][]time.Time{}, accounts: map[string][]time.Time{},
		pairs: map[pairKey]*pairState{}, known: map[pairKey]time.Time{}}
}

// reserve records an attempt at account from ip at now, unless a limit refuses it; then it
// records nothing and says how long to wait. Until succeeded is called the attempt counts as a
// failure.
func (l *loginLimiter) reserve(account, ip string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	pk := pairKey{account, ip}
	p := l.pairs[pk]
	if p == nil {
		p = &pairState{}
	}
	p.fails = recent(p.fails, now)
	if now.Before(p.lockedUntil) {
		return false, p.lockedUntil.Sub(now)
	}
	ips := recent(l.ips[ip], now)
	if len(ips) >= loginsPerIP {
		return false, ips[0].Add(limitWindow).Sub(now)
	}
	acc := recent(l.accounts[account], now)
	if known, ok := l.known[pk]; (!ok || now.Sub(known) >= knownFor) && len(acc) >= failuresPerAccount {
		return false, acc[0].Add(limitWindow).Sub(now)
	}
	l.ips[ip] = append(ips, now)
	l.accounts[account] = append(acc, now)
	p.fails = append(p.fails, now)
	p.last = now
	if len(p.fails) >= failuresPerPair {
		// This attempt may still be checked; the next ones from this address wait.
		p.lockedUntil = now.Add(lockFor(p.locks))
		p.locks++
		p.fails = nil
	}
	l.pairs[pk] = p
	return true, 0
}

// lockFor is how long the locks-th lock of a pair lasts (0 for the first): limitWindow,
// doubling each time, at most maxLock.
func lockFor(locks int) time.Duration {
	d := limitWindow
	for range locks {
		if d *= 2; d >= maxLock {
			return maxLock
		}
	}
	return d
}

// succeeded clears the account's failures (its reservation included) after a sign-in from ip,
// and remembers ip as one the account is used from.
func (l *loginLimiter) succeeded(account, ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.accounts, account)
	delete(l.pairs, pairKey{account, ip})
	l.known[pairKey{account, ip}] = now
}

// sweep forgets what went quiet, so the maps do not grow with every address and email seen.
// l.mu is held.
func (l *loginLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < limitWindow {
		return
	}
	l.swept = now
	for k, ts := range l.ips {
		if len(recent(ts, now)) == 0 {
			delete(l.ips, k)
		}
	}
	for k, ts := range l.accounts {
		if len(recent(ts, now)) == 0 {
			delete(l.accounts, k)
		}
	}
	for k, p := range l.pairs {
		// A pair's lock count is its backoff: kept for a day after its last attempt.
		if now.After(p.lockedUntil) && now.Sub(p.last) >= maxLock {
			delete(l.pairs, k)
		}
	}
	for k, at := range l.known {
		if now.Sub(at) >= knownFor {
			delete(l.known, k)
		}
	}
}

// recent returns the times of ts in the window ending at now (ts is in order).
func recent(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= limitWindow {
		i++
	}
	return ts[i:]
}
