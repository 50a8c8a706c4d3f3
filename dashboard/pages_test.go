package dashboard_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/policy"
)

// Every page names its icon, and the icon is served: a browser asks for /favicon.ico, a 404,
// on every page that names none.
func TestFavicon(t *testing.T) {
	e := newEnv(t)
	_, _, login := e.anonymous().get("/ui/login")
	_, _, cases := e.as(recoup.RoleViewer).get("/ui/cases")
	for _, body := range []string{login, cases} {
		m := regexp.MustCompile(`<link rel="icon" type="image/svg\+xml" href="([^"]+)">`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the page names no icon:\n%s", body)
		}
		resp, err := http.Get(e.srv.URL + m[1])
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("%s: %d %s", m[1], resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

// The policy page shows every setting the engine runs, in words: the campaign's hour and
// quiet hours, the categories that wait for the customer, the final action.
func TestPolicyPageShowsEverySetting(t *testing.T) {
	e := newEnv(t)
	_, _, body := e.as(recoup.RoleViewer).get("/ui/policy")
	for _, want := range []string{"sent at 10:00 the customer's time; quiet hours 21:00 to 08:00",
		"Waits for the customer on", "hard declines", "Card-network guard", "at most 15 Visa reattempts"} {
		if !strings.Contains(body, want) {
			t.Errorf("the policy page lacks %q", want)
		}
	}
	for _, identifier := range []string{"customer_fix", "leave_past_due", "[customer_fix", "awaiting_customer"} {
		if strings.Contains(stripSource(body), identifier) {
			t.Errorf("the policy page shows the identifier %q", identifier)
		}
	}
}

// stripSource leaves out the policy file's source, which is shown as written.
func stripSource(body string) string {
	return regexp.MustCompile(`(?s)<pre>.*?</pre>`).ReplaceAllString(body, "")
}

// The overview shows the weekly trends: each week's figures in its column's tooltip, with a
// link to its cases, and the cohort chart.
func TestOverviewTrends(t *testing.T) {
	e := newEnv(t)
	_, _, body := e.as(recoup.RoleViewer).get("/ui/?days=30")
	for _, want := range []string{
		"Failed and recovered invoices per week", "Money at risk and recovered", "Recovery rate by week of first failure",
		`<a href="/ui/cases?currency=usd&amp;from=2026-04-27&amp;to=2026-05-03"><title>Week of 27 Apr 2026: $12.00 failed: $0.00 recovered, $0.00 at risk, $12.00 lost</title>`,
		"<title>Week of 27 Apr 2026: 1 invoice failed; 7 days: 0%; 14 days: 0%; 30 days: not yet</title>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
}

// The policy page names the paths to the money a segment enables (issue 21): the offers of the
// card update page, the backup payment method, settling a small rest and the team alert, in
// words.
func TestPolicyPageShowsThePathsToTheMoney(t *testing.T) {
	p, err := policy.LoadWith("../policies/examples/example.yaml", policy.Options{Templates: append(policy.BuiltinTemplates(), "personal_note", "account_manager_note", "account_manager_call")})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *dashboard.Config) { c.Policy = func() *policy.Policy { return p } })
	_, _, body := e.as(recoup.RoleViewer).get("/ui/policy")
	for _, want := range []string{"the card update page proposes: pay now, payment plan, cheaper plan and pause",
		"another saved method (card and SEPA Direct Debit)", "the subscription's default is not changed",
		"a partly paid invoice is marked paid when less than 500", "Team alert"} {
		if !strings.Contains(body, want) {
			t.Errorf("the policy page lacks %q", want)
		}
	}
}
