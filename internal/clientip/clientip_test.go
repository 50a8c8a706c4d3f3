package clientip

import (
	"net/http/httptest"
	"testing"
)

func TestKey(t *testing.T) {
	proxies, err := Parse("127.0.0.1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer, xff, want string
	}{
		{"a direct client", "198.51.100.7:1000", "", "198.51.100.7"},
		{"a direct client's header is ignored", "198.51.100.7:1000", "203.0.113.1", "198.51.100.7"},
		{"through the proxy", "127.0.0.1:1000", "203.0.113.1", "203.0.113.1"},
		{"a forged first entry is skipped", "127.0.0.1:1000", "192.0.2.66, 203.0.113.1", "203.0.113.1"},
		{"through two trusted proxies", "127.0.0.1:1000", "203.0.113.1, 10.1.2.3", "203.0.113.1"},
		{"a malformed entry stops the walk", "127.0.0.1:1000", "203.0.113.1, nonsense", "127.0.0.1"},
		{"the proxy without a header", "127.0.0.1:1000", "", "127.0.0.1"},
		{"IPv6 by its /64", "[2001:db8:1:2:3:4:5:6]:1000", "", "2001:db8:1:2::/64"},
		{"an IPv4-mapped peer", "[::ffff:198.51.100.7]:1000", "", "198.51.100.7"},
		{"no address", "@", "", "@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if got := proxies.Key(r); got != tc.want {
				t.Errorf("Key = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	if _, err := Parse("10.0.0.0/8, proxy.local"); err == nil {
		t.Error("a host name was accepted")
	}
	ps, err := Parse(" , 192.0.2.1 ,::1")
	if err != nil || len(ps) != 2 || ps[0].Bits() != 32 || ps[1].Bits() != 128 {
		t.Errorf("Parse = %v, %v", ps, err)
	}
}
