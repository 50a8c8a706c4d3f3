package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// eventually polls cond until it holds or the deadline passes: the demo runs in real time.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The README's first command: recoup demo prints the dashboard's address and a login, and within
// seconds the dashboard shows failing and recovering payments; an operator action goes through
// the simulation.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--listen", "127.0.0.1:0", "--day-every", "200ms", "--failures-per-day", "30", "--log-level", "error"}, out, func(int) {})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	})
	var base, password string
	eventually(t, 20*time.Second, "the demo prints its address and login", func() bool {
		m := regexp.MustCompile(`dashboard: (http://\S+)/ui/\nlogin: +admin@demo.recoup\npassword: +(\S+)`).FindStringSubmatch(out.String())
		if m == nil {
			return false
		}
		base, password = m[1], m[2]
		return true
	})
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("dashboard at %s, want loopback", base)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) string {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	post := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		resp, err := c.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	m := csrf.FindStringSubmatch(get("/ui/login"))
	if m == nil {
		t.Fatal("no login form")
	}
	if resp, _ := post("/ui/login", url.Values{"csrf": {m[1]}, "email": {"admin@demo.recoup"}, "password": {password}}); resp.Request.URL.Path != "/ui/" {
		t.Fatalf("login landed on %s", resp.Request.URL)
	}
	recovered := regexp.MustCompile(`Recovered</[a-z]+>\s*<[^>]+>[0-9.]+ USD</[a-z]+>\s*<[^>]+>([1-9][0-9]*) invoices?`)
	eventually(t, 60*time.Second, "the overview shows recovered invoices", func() bool {
		return recovered.MatchString(get("/ui/"))
	})
	// The demo keeps running while the test looks: a scheduled case may settle (the customer
	// pays) between the list and the retry, and the operator is then told so. Another case
	// is tried then.
	for try := 0; ; try++ {
		cases := get("/ui/cases?state=scheduled")
		id := regexp.MustCompile(`href="/ui/cases/([0-9]+)"`).FindStringSubmatch(cases)
		if id == nil {
			t.Fatalf("no scheduled case in the list:\n%s", cases)
		}
		page := get("/ui/cases/" + id[1])
		m = csrf.FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, "retry") {
			t.Fatalf("case page without the operator's retry form")
		}
		// The retry runs on the simulation's engine and clock, still subject to the network
		// guard: either it is on the timeline, or the guard's refusal is shown.
		resp, body := post("/ui/cases/"+id[1]+"/retry", url.Values{"csrf": {m[1]}})
		switch {
		case resp.StatusCode == http.StatusOK && strings.Contains(get("/ui/cases/"+id[1]), "operator admin@demo.recoup asked to retry now"):
			return
		case strings.Contains(body, "card-network guard"):
			return
		case resp.StatusCode == http.StatusConflict && try < 5 &&
			(strings.Contains(body, "the case is recovered") || strings.Contains(body, "the case is closed")):
			continue // settled meanwhile
		default:
			t.Fatalf("retry now: %s, and the timeline does not show it:\n%s", resp.Status, body)
		}
	}
}

// A demo run on a kept database (--dir) prints a new password: it must be the one that works.
func TestDemoAdminOnAKeptDatabase(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	store := sqlite.NewStore(db, nil)
	for _, hash := range []string{"first-hash", "second-hash"} {
		if err := demoAdmin(ctx, store, hash); err != nil {
			t.Fatal(err)
		}
	}
	u, err := store.UserByEmail(ctx, demoUser)
	if err != nil || u.PasswordHash != "second-hash" || u.Role != recoup.RoleAdmin {
		t.Fatalf("demo admin %+v, %v: want the second run's password", u, err)
	}
}
