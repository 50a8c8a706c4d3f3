package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
)

// recoup serve mounts the dashboard and River's UI behind its login, on SQLite.
func TestServeMountsDashboardAndRiverUI(t *testing.T) {
	w := newWorld(t)
	p := w.start(sqliteURL(t))
	as := p.app.backend.store.(recoup.AccessStore)
	ctx := context.Background()
	u := recoup.User{Email: "admin@example.com", Role: recoup.RoleAdmin, PasswordHash: "unused", CreatedAt: time.Now()}
	if err := as.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	secret, _ := dashboard.NewSecret(32)
	err := as.CreateSession(ctx, recoup.Session{IDHash: dashboard.HashSecret(secret), UserID: u.ID, CSRFToken: "t",
		CreatedAt: w.clock.Now(), ExpiresAt: w.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	get := func(c *http.Client, path string) (int, string) {
		t.Helper()
		res, err := c.Get(p.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	anon := &http.Client{CheckRedirect: noRedirect}
	for _, path := range []string{"/ui/", "/ui/riverui/", "/ui/riverui/api/queues"} {
		if status, _ := get(anon, path); status != http.StatusSeeOther {
			t.Errorf("anonymous %s: %d, want a redirect to the login", path, status)
		}
	}
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(p.url)
	jar.SetCookies(base, []*http.Cookie{{Name: "recoup_session", Value: secret, Path: "/"}})
	admin := &http.Client{Jar: jar, CheckRedirect: noRedirect}
	for path, want := range map[string]string{
		"/ui/":                   "Overview",
		"/ui/riverui/":           "<title>River</title>",
		"/ui/riverui/api/queues": `"data"`,
	} {
		status, body := get(admin, path)
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("admin %s: %d, want 200 with %q:\n%.400s", path, status, want, body)
		}
	}
}
