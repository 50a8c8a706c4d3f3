package dashboard_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/recoup-hq/recoup"
)

// chromium returns the path of a Chromium to drive. Without one the test skips, except under
// CI=true, where a missing browser is a failure (.ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the browser tests start Chromium")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: install it (apt-get install -y chromium); CI must run the browser tests")
	}
	t.Skip("no chromium on PATH; install it to run the browser tests")
	return ""
}

// screenshotDir is where the test saves each page: $RECOUP_SCREENSHOTS, or a temporary
// directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("RECOUP_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestBrowser drives a real Chromium through the dashboard as an admin: log in, read the
// overview, open a case with hostile customer data, retry it now, and find the action in the
// audit log. It saves a screenshot of each page, on a laptop and on a phone.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	e := newEnv(t)
	dir := screenshotDir(t)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 900))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	// The first Run starts the browser and must not carry a timeout; later steps do.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		defer scancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		defer scancel()
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		defer scancel()
		b, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // quality 100 makes a PNG
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := e.srv.URL + "/ui"

	step("open the login page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)))
	shot("login-laptop")
	step("log in",
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "admin@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.tiles`)))
	if got := text(".currency .tiles"); !strings.Contains(got, "$86.00") || !strings.Contains(got, "$25.00") {
		t.Fatalf("overview does not show the failed and recovered amounts:\n%s", got)
	}
	shot("02-overview")

	step("open the case list", chromedp.Click(chromedp.CSS(`nav a[href="/ui/cases"]`)), chromedp.WaitVisible(chromedp.CSS(`table.cases`)))
	shot("03-cases")
	caseSel := fmt.Sprintf(`table.cases a[href="/ui/cases/%d"]`, e.cases[0].ID)
	step("open a case", chromedp.Click(chromedp.CSS(caseSel)), chromedp.WaitVisible(chromedp.CSS(`.timeline`)))
	if got := text(".facts"); !strings.Contains(got, hostile+"@example.com") {
		t.Fatalf("the hostile email does not show as text:\n%s", got)
	}
	pwned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll('main script').length > 0`))
	if err != nil || pwned {
		t.Fatalf("customer data became a script element (%v)", err)
	}
	shot("04-case")

	// hx-confirm asks window.confirm; the test answers yes. (DevTools evaluation is not bound
	// by the page's content security policy.)
	// The click's request is asynchronous (htmx swaps the page in); waiting for the timeline
	// entry the action writes is waiting for its answer.
	step("retry now",
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(chromedp.CSS(`form[action$="/retry"] button`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@class="summary"][contains(., "asked to retry now")]`)))
	c, err := e.store.Case(context.Background(), e.cases[0].ID)
	if err != nil || c.NextAction == nil || !c.NextAction.At.Equal(e.clock()) {
		t.Fatalf("retry now did not plan a charge now: %+v, %v", c.NextAction, err)
	}
	shot("05-case-after-retry")

	step("open the audit log", chromedp.Click(chromedp.CSS(`nav a[href="/ui/audit"]`)), chromedp.WaitVisible(chromedp.CSS(`table.audit`)))
	if got := text("table.audit"); !strings.Contains(got, "retry now") || !strings.Contains(got, "admin@example.com") || !strings.Contains(got, fmt.Sprintf("#%d", e.cases[0].ID)) {
		t.Fatalf("audit log does not record the retry:\n%s", got)
	}
	entries, err := e.store.Audit(context.Background(), recoup.AuditFilter{CaseID: e.cases[0].ID})
	if err != nil || len(entries) != 1 || entries[0].Action != "retry_now" {
		t.Fatalf("audit entries %+v, %v", entries, err)
	}
	shot("06-audit")

	step("the policy page", chromedp.Click(chromedp.CSS(`nav a[href="/ui/policy"]`)), chromedp.WaitVisible(chromedp.CSS(`pre`)))
	if got := text("table.versions"); !strings.Contains(got, "in force") {
		t.Fatalf("the policy history does not mark the version in force:\n%s", got)
	}
	shot("07-policy")
	step("the campaigns page", chromedp.Click(chromedp.CSS(`nav a[href="/ui/campaigns"]`)), chromedp.WaitVisible(chromedp.CSS(`table.steps`)))
	if got := text("table.steps"); !strings.Contains(got, "gentle") || !strings.Contains(got, "100.0%") {
		t.Fatalf("the campaigns page does not show the clicked step:\n%s", got)
	}
	shot("07b-campaigns")
	step("the operations page", chromedp.Click(chromedp.CSS(`nav a[href="/ui/operations"]`)), chromedp.WaitVisible(chromedp.CSS(`.facts`)))
	shot("08-operations")
	seedExperiment(t, e)
	step("the experiment page", chromedp.Navigate(base+"/experiment"), chromedp.WaitVisible(chromedp.CSS(`svg polyline.line`)))
	if got := text("main"); !strings.Contains(got, "Uplift of recoup over stripe") || !strings.Contains(got, "Verdict:") {
		t.Fatalf("the experiment page does not show the uplift and verdict:\n%s", got)
	}
	shot("08b-experiment")

	// Every page at both sizes: nothing wider than the screen (a phone scrolls a chart's
	// own box sideways, never the page), and readable text in the charts.
	pages := []struct{ name, path, ready string }{
		{"login", "/login", `input[name="email"]`},
		{"overview", "/", `.tiles`},
		{"cases", "/cases", `table.cases`},
		{"case", fmt.Sprintf("/cases/%d", e.cases[0].ID), `.timeline`},
		{"campaigns", "/campaigns", `table.steps`},
		{"policy", "/policy", `table.versions`},
		{"experiment", "/experiment", `svg polyline.line`},
		{"audit", "/audit", `table.audit`},
		{"operations", "/operations", `.facts`},
		{"not-found", "/nope", `main`},
	}
	for _, size := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{{"laptop", 1400, 900, nil}, {"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile}}} {
		step("a "+size.name, chromedp.EmulateViewport(size.w, size.h, size.opts...))
		for _, pg := range pages {
			if pg.name == "login" {
				continue // signed in; the login page's shot is 01-login
			}
			step(pg.name+" on a "+size.name, chromedp.Navigate(base+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
			wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
			if err != nil || wide > 0 {
				t.Errorf("%s on a %s: the page is %d px wider than the screen (%v)", pg.name, size.name, wide, err)
			}
			if pg.name == "cases" {
				// Every column of the list is on the screen: none is cut off in a scrolled box.
				cut, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('table.cases tbody tr:first-child td')].filter(td => td.getBoundingClientRect().right > window.innerWidth + 1).length`))
				if err != nil || cut > 0 {
					t.Errorf("the case list on a %s cuts %d columns off the screen (%v)", size.name, cut, err)
				}
			}
			shot(pg.name + "-" + size.name)
		}
		step("the overview on a "+size.name, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`svg.trend`)))
		// The smallest text of the charts, as rendered: bar labels and trend axes.
		small, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`Math.min(
			...[...document.querySelectorAll('.bars .label, .bars .value')].map(e => parseFloat(getComputedStyle(e).fontSize)),
			...[...document.querySelectorAll('svg.trend text')].map(e => { const s = e.ownerSVGElement;
				return parseFloat(getComputedStyle(e).fontSize) * s.getBoundingClientRect().width / s.viewBox.baseVal.width }))`))
		if err != nil || small < 10 {
			t.Errorf("overview on a %s: chart text renders at %.1f px, want at least 10 (%v)", size.name, small, err)
		}
	}
	step("sign out on a phone", chromedp.Click(chromedp.CSS(`form.logout button`)), chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)))
	shot("login-phone")
	t.Logf("screenshots in %s", dir)
}
