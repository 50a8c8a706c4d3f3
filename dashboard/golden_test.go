package dashboard_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the pages as rendered")

// csrfValue matches the per-session and login tokens, which are random.
var csrfValue = regexp.MustCompile(`name="csrf" value="[^"]*"`)

// TestPagesGolden renders the pages on the seeded store and compares them with
// testdata/*.html. After a deliberate change, run: go test ./dashboard -run Golden -update
func TestPagesGolden(t *testing.T) {
	e := newEnv(t)
	admin := e.as(recoup.RoleAdmin)
	for name, path := range map[string]string{
		"overview":   "/ui/?days=30",
		"cases":      "/ui/cases?state=active",
		"case":       fmt.Sprintf("/ui/cases/%d", e.cases[0].ID),
		"audit":      "/ui/audit",
		"operations": "/ui/operations",
		"campaigns":  "/ui/campaigns?days=30",
		"login":      "/ui/login",
		"not-found":  "/ui/nope",
	} {
		t.Run(name, func(t *testing.T) {
			c := admin
			if name == "login" {
				c = e.anonymous()
			}
			_, _, body := c.get(path)
			golden(t, name, path, body)
		})
	}
	// The policy page of a policy with segments and an experiment (the annotated example).
	t.Run("policy", func(t *testing.T) {
		p, err := policy.LoadWith("../policies/examples/example.yaml", policy.Options{Templates: append(policy.BuiltinTemplates(), "personal_note", "account_manager_note", "account_manager_call")})
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, func(c *dashboard.Config) { c.Policy = func() *policy.Policy { return p } })
		_, _, body := e.as(recoup.RoleAdmin).get("/ui/policy")
		golden(t, "policy", "/ui/policy", body)
	})
}

// golden compares the page at path with testdata/name.html, or rewrites it under -update.
func golden(t *testing.T, name, path, body string) {
	t.Helper()
	got := csrfValue.ReplaceAllString(body, `name="csrf" value="CSRF"`)
	file := filepath.Join("testdata", name+".html")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run with -update after a deliberate change):\n%s", path, file, firstDiff(string(want), got))
	}
}

// firstDiff shows the first line where got departs from want.
func firstDiff(want, got string) string {
	wl, gl := regexp.MustCompile("\n").Split(want, -1), regexp.MustCompile("\n").Split(got, -1)
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, w, g)
		}
	}
	return ""
}
