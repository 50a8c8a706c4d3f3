package main

import (
	"net/http"
	"testing"
)

// Issue 19 item 4: behind a TLS-terminating proxy recoup listens on loopback; an https public
// URL still makes its cookies Secure (with the __Host- prefix) and its answers carry HSTS.
func TestSecureCookiesBehindTLSProxy(t *testing.T) {
	for _, tc := range []struct {
		name       string
		publicURL  string
		setting    string
		wantCookie string
		wantSecure bool
		wantHSTS   bool
	}{
		{"https public URL", "https://pay.example.com", "auto", "__Host-recoup_login", true, true},
		{"no public URL, loopback", "", "auto", "recoup_login", false, false},
		{"explicitly on", "", "on", "__Host-recoup_login", true, true},
		{"explicitly off", "https://pay.example.com", "off", "recoup_login", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			p := w.start("sqlite:"+t.TempDir()+"/r.db", func(c *ServeCmd) {
				c.SecureCookies, c.PublicURL = tc.setting, tc.publicURL
				if tc.publicURL != "" {
					c.LinkSecret = "a-link-secret-of-at-least-32-characters"
				}
			})
			res, err := http.Get(p.url + "/ui/login")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			var got *http.Cookie
			for _, c := range res.Cookies() {
				got = c
			}
			if got == nil || got.Name != tc.wantCookie || got.Secure != tc.wantSecure {
				t.Fatalf("login cookie %+v: want %s, Secure %v", got, tc.wantCookie, tc.wantSecure)
			}
			if hsts := res.Header.Get("Strict-Transport-Security"); (hsts != "") != tc.wantHSTS {
				t.Fatalf("Strict-Transport-Security %q: want it %v", hsts, tc.wantHSTS)
			}
		})
	}
}
