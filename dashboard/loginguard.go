package dashboard

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
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

// clientIP is the address the login limits count. It is the TCP peer, unless the peer is one of
// Config.TrustedProxies: then it is the last address of X-Forwarded-For that is not a trusted
// proxy (each proxy appends the address it received the request from, so the entries left of
// it may be forged by the client, the last ones not). An IPv6 client counts by its /64, which
// one subscriber usually holds whole.
func (d *Dashboard) clientIP(r *http.Request) string {
	peer := parseHostIP(r.RemoteAddr)
	if !peer.IsValid() {
		return r.RemoteAddr
	}
	addr := peer
	if d.trusted(peer) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a malformed entry: stop at the last address known good
			}
			addr = ip.Unmap()
			if !d.trusted(addr) {
				break
			}
		}
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func (d *Dashboard) trusted(ip netip.Addr) bool {
	for _, p := range d.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// parseHostIP returns the IP of a host:port (or bare host) address; invalid if it is none.
func parseHostIP(hostport string) netip.Addr {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

// ParseTrustedProxies parses a comma-separated list of addresses and CIDR prefixes
// (RECOUP_TRUSTED_PROXIES).
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
}
