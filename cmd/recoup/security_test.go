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

const e2eMetricsToken = "e2e-metrics-token-0123456789"

// bearer is a transport that sends its token with every request.
type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// Issue 19 item 7: /metrics is not on the public listener unless it asks for a token; a
// separate listener serves it.
func TestMetricsListener(t *testing.T) {
	w := newWorld(t)
	status := func(c *http.Client, url string) int {
		t.Helper()
		res, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	p := w.start(sqliteURL(t))
	if s := status(http.DefaultClient, p.url+"/metrics"); s != http.StatusNotFound {
		t.Errorf("no metrics setting: GET /metrics on the public listener = %d, want 404", s)
	}
	p = w.start(sqliteURL(t), func(c *ServeCmd) { c.MetricsToken = e2eMetricsToken })
	if s := status(http.DefaultClient, p.url+"/metrics"); s != http.StatusUnauthorized {
		t.Errorf("with a token, asked without it: %d, want 401", s)
	}
	if s := status(&http.Client{Transport: bearer(e2eMetricsToken)}, p.url+"/metrics"); s != http.StatusOK {
		t.Errorf("with the token: %d, want 200", s)
	}
	p = w.start(sqliteURL(t), func(c *ServeCmd) { c.MetricsListen = "127.0.0.1:0" })
	if s := status(http.DefaultClient, p.url+"/metrics"); s != http.StatusNotFound {
		t.Errorf("with a metrics listener: GET /metrics on the public listener = %d, want 404", s)
	}
	if s := status(http.DefaultClient, "http://"+p.app.metricsLn.Addr().String()+"/metrics"); s != http.StatusOK {
		t.Errorf("GET /metrics on the metrics listener = %d, want 200", s)
	}
}
