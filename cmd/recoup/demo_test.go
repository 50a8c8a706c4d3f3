package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	recovered := regexp.MustCompile(`Recovered</[a-z]+>\s*<[^>]+>\$[0-9,.]+</[a-z]+>\s*<[^>]+>([1-9][0-9]*) invoices?`)
	eventually(t, 60*time.Second, "the overview shows recovered invoices", func() bool {
		return recovered.MatchString(get("/ui/"))
	})
	// The simulated customers open the links of recoup's messages, through the link page: the
	// campaign page counts their clicks.
	clicked := regexp.MustCompile(`<td class="num">[0-9]+</td>\s*<td class="num">([1-9][0-9]*) \(`)
	eventually(t, 60*time.Second, "the campaign page counts clicks", func() bool {
		return clicked.MatchString(get("/ui/campaigns?days=365"))
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
	db := migratedSQLite(t)
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

// demoRun runs `recoup demo --dir dir` until until holds of the cases in its database, then
// stops it as Ctrl-C does, and returns what it printed.
func demoRun(t *testing.T, dir string, until func([]recoup.Case) bool) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--dir", dir, "--listen", "127.0.0.1:0", "--day-every", "100ms",
			"--failures-per-day", "5", "--log-level", "error"}, out, func(int) {})
	}()
	eventually(t, 20*time.Second, "the demo prints its address", func() bool {
		select {
		case err := <-done:
			t.Fatalf("demo: %v\n%s", err, out.String())
		default:
		}
		return strings.Contains(out.String(), "dashboard: http://")
	})
	db, err := sqlite.OpenExisting(ctx, filepath.Join(dir, demoDBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eventually(t, 60*time.Second, "the demo opens cases", func() bool { return until(demoCases(t, db)) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	return out.String()
}

// demoCases is every case in the demo's database.
func demoCases(t *testing.T, db *sqlite.DB) []recoup.Case {
	t.Helper()
	s := sqlite.NewStore(db, nil)
	var all []recoup.Case
	for before := int64(0); ; {
		page, err := s.Cases(t.Context(), recoup.CaseFilter{Before: before, Limit: recoup.MaxCaseLimit})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Cases...)
		if before = page.Next; before == 0 {
			return all
		}
	}
}

// readDemoState reads the demo's state in dir; a missing or unreadable state is an error of
// the test, which goes on.
func readDemoState(t *testing.T, dir string) demoState {
	t.Helper()
	var st demoState
	b, err := os.ReadFile(filepath.Join(dir, demoStateFile))
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		t.Errorf("the demo's state: %v", err)
	}
	return st
}

// A demo kept in --dir and run again resumes: the simulated clock goes on from where it
// stopped, a new simulated world opens new cases (not duplicates of the first run's invoices),
// the first run's cases still in recovery are closed with the reason on their timeline, and
// the demo says it resumed.
func TestDemoResumesItsDir(t *testing.T) {
	dir := t.TempDir()
	// The first run stops with a case in recovery, for the second to close.
	first := demoRun(t, dir, func(cs []recoup.Case) bool {
		return len(cs) >= 5 && slices.ContainsFunc(cs, func(c recoup.Case) bool { return c.State.Active() })
	})
	if !strings.Contains(first, "keeping the demo in "+dir) {
		t.Errorf("the first run does not say where it keeps the demo:\n%s", first)
	}
	stopped := readDemoState(t, dir)
	db, err := sqlite.OpenExisting(t.Context(), filepath.Join(dir, demoDBFile))
	if err != nil {
		t.Fatal(err)
	}
	before := demoCases(t, db)
	db.Close()
	earlier := map[int64]bool{}
	var last time.Time // the first run's last case opened then
	for _, c := range before {
		earlier[c.ID] = true
		last = later(last, c.CreatedAt)
	}
	if last.After(stopped.Clock) {
		t.Errorf("a case opened at %s, after the clock saved at the stop (%s)", last, stopped.Clock)
	}

	second := demoRun(t, dir, func(cs []recoup.Case) bool { return len(cs) >= len(before)+3 })
	if want := "resuming the demo in " + dir + " at simulated day"; !strings.Contains(second, want) {
		t.Fatalf("the second run does not say %q:\n%s", want, second)
	}
	resumed := readDemoState(t, dir)
	if resumed.Segment != 2 || !resumed.Clock.After(stopped.Clock) || !resumed.Started.Equal(stopped.Started) {
		t.Fatalf("state after the second run %+v, want part 2 with the clock past %s", resumed, stopped.Clock)
	}
	db, err = sqlite.OpenExisting(t.Context(), filepath.Join(dir, demoDBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := sqlite.NewStore(db, nil)
	news := 0
	for _, c := range demoCases(t, db) {
		if !earlier[c.ID] {
			news++
			if c.CreatedAt.Before(later(last, stopped.Clock)) || !strings.HasPrefix(c.InvoiceID, "in_s2_") {
				t.Errorf("new case %d (invoice %s) opened at %s: want a new world's invoice, after %s", c.ID, c.InvoiceID, c.CreatedAt, later(last, stopped.Clock))
			}
			continue
		}
		if c.State.Active() || c.State == recoup.StatePaused {
			t.Errorf("case %d of the first run is still %s: nothing would ever move it", c.ID, c.State)
		}
	}
	if news < 3 {
		t.Fatalf("%d new cases after resuming, want at least 3", news)
	}
	unfinished := 0
	for _, c := range before {
		if !c.State.Active() && c.State != recoup.StatePaused {
			continue
		}
		unfinished++
		tl, err := s.Timeline(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(fmt.Sprint(tl), "the demo stopped while this case was in recovery") {
			t.Errorf("case %d was closed without saying why: %+v", c.ID, tl)
		}
	}
	if want := closedCases(unfinished); unfinished == 0 || !strings.Contains(second, want) {
		t.Errorf("%d cases of the first run were in recovery; the second run does not say %q:\n%s", unfinished, want, second)
	}
}

// A directory the demo cannot resume is refused with words that say what to do, before the
// database is touched.
func TestDemoRefusesADirItCannotResume(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		args  []string
		want  string
	}{
		{"another world", func(t *testing.T, dir string) {
			writeDemoDir(t, dir, demoState{Format: demoStateFormat, World: "realistic", Seed: 1, Segment: 1, Started: time.Now(), Clock: time.Now()})
		}, []string{"--world", "shifted"}, `plays world "realistic" with seed 1: run with --world realistic --seed 1 to resume it`},
		{"another seed", func(t *testing.T, dir string) {
			writeDemoDir(t, dir, demoState{Format: demoStateFormat, World: "realistic", Seed: 7, Segment: 1, Started: time.Now(), Clock: time.Now()})
		}, nil, `plays world "realistic" with seed 7`},
		{"another version", func(t *testing.T, dir string) {
			writeDemoDir(t, dir, demoState{Format: demoStateFormat + 1, World: "realistic", Seed: 1, Segment: 1, Started: time.Now(), Clock: time.Now()})
		}, nil, "made by another version of recoup"},
		{"a database from an older recoup", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, demoDBFile), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, nil, "an older recoup made it, and this one cannot resume it"},
		{"state without its database", func(t *testing.T, dir string) {
			writeDemoDir(t, dir, demoState{Format: demoStateFormat, World: "realistic", Seed: 1, Segment: 1, Started: time.Now(), Clock: time.Now()})
			os.Remove(filepath.Join(dir, demoDBFile))
		}, nil, "holds the demo's state but not its database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			// A demo that starts instead of refusing is stopped as soon as it prints.
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			err := run(ctx, append([]string{"demo", "--dir", dir, "--listen", "127.0.0.1:0", "--log-level", "error"}, tc.args...), cancelOnWrite(cancel), func(int) {})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// writeDemoDir makes dir look like a kept demo with the state st.
func writeDemoDir(t *testing.T, dir string, st demoState) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, demoDBFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := saveDemoState(dir, st); err != nil {
		t.Fatal(err)
	}
}

// cancelOnWrite is a writer that calls cancel when written to.
type cancelOnWrite func()

func (c cancelOnWrite) Write(p []byte) (int, error) { c(); return len(p), nil }

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
