// Package clientip finds the address of the client behind a request, for the limits that count
// per client (the dashboard's logins, the customer link pages). The TCP peer is the client,
// unless it is one of the configured reverse proxies (RECOUP_TRUSTED_PROXIES): then the client is
// the last address of X-Forwarded-For that is not a trusted proxy. Each proxy appends the address
// it received the request from, so the entries left of it may be forged by the client, the last
// ones not. A header from any other peer is ignored.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies whose X-Forwarded-For is believed.
type Proxies []netip.Prefix

// Parse parses a comma-separated list of addresses and CIDR prefixes (RECOUP_TRUSTED_PROXIES).
func Parse(s string) (Proxies, error) {
	var out Proxies
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

// Client returns the client's address; invalid when the peer's address cannot be read.
func (ps Proxies) Client(r *http.Request) netip.Addr {
	addr := hostIP(r.RemoteAddr)
	if !addr.IsValid() || !ps.trusted(addr) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed entry: stop at the last address known good
		}
		addr = ip.Unmap()
		if !ps.trusted(addr) {
			break
		}
	}
	return addr
}

// Key is what the per-client limits count: the client's address, an IPv6 client by its /64
// (which one subscriber usually holds whole), or the raw peer when it is no address.
func (ps Proxies) Key(r *http.Request) string {
	addr := ps.Client(r)
	switch {
	case !addr.IsValid():
		return r.RemoteAddr
	case addr.Is6():
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func (ps Proxies) trusted(ip netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// hostIP returns the IP of a host:port (or bare host) address; invalid if it is none.
func hostIP(hostport string) netip.Addr {
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
