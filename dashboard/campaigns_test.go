package dashboard_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/metrics"
	"github.com/recoup-hq/recoup/policy"
)

// listed returns the ids of the cases a case list page links to.
func listed(body string, e *env) []int64 {
	var ids []int64
	for _, c := range e.cases {
		if strings.Contains(body, ">#"+strconv.FormatInt(c.ID, 10)+"<") {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

func TestOverviewBySegment(t *testing.T) {
	e := newEnv(t)
	v := e.as(recoup.RoleViewer)
	status, _, body := v.get("/ui/?days=30")
	if status != http.StatusOK {
		t.Fatalf("%d\n%s", status, body)
	}
	link := "/ui/cases?currency=usd&amp;from=2026-04-21&amp;segment=enterprise&amp;to=2026-05-20"
	for _, want := range []*regexp.Regexp{regexp.MustCompile("Recovery by segment"), regexp.MustCompile(`>default</a></span>\s*<svg[^\n]*\n\s*<span class="value">1 of 2 \(50%\)<`),
		regexp.MustCompile(regexp.QuoteMeta(link)), regexp.MustCompile(`>enterprise</a></span>\s*<svg[^\n]*\n\s*<span class="value">0 of 1 \(0%\)<`)} {
		if !want.MatchString(body) {
			t.Errorf("overview lacks %s", want)
		}
	}
	_, _, list := v.get(strings.ReplaceAll(link, "&amp;", "&"))
	if got := listed(list, e); len(got) != 1 || got[0] != e.cases[0].ID {
		t.Errorf("the enterprise segment's link lists %v, want case %d only", got, e.cases[0].ID)
	}
	_, _, csv := v.get("/ui/overview.csv?from=2026-04-21&to=2026-05-20")
	if want := "2026-04-21,2026-05-20,usd,segment_recovered,default,1,25.00 USD\n"; !strings.Contains(csv, want) {
		t.Errorf("overview CSV lacks %q:\n%s", want, csv)
	}
}

func TestCaseListFilters(t *testing.T) {
	e := newEnv(t)
	if err := e.store.Tx(t.Context(), func(tx recoup.Tx) error {
		c, err := tx.Case(e.cases[0].ID)
		if err != nil {
			return err
		}
		c.Review = recoup.ReviewPending
		return tx.UpdateCase(&c)
	}); err != nil {
		t.Fatal(err)
	}
	v := e.as(recoup.RoleViewer)
	for _, tc := range []struct {
		query  string
		status int
		want   []int64
	}{
		{"segment=default", http.StatusOK, []int64{e.cases[1].ID, e.cases[2].ID}},
		{"segment=default&state=lost", http.StatusOK, []int64{e.cases[2].ID}},
		{"review=pending", http.StatusOK, []int64{e.cases[0].ID}},
		{"review=pending&segment=default", http.StatusOK, nil},
		{"review=approved", http.StatusBadRequest, nil},
		{"segment=" + strings.Repeat("x", 101), http.StatusBadRequest, nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			status, _, body := v.get("/ui/cases?" + tc.query)
			if status != tc.status {
				t.Fatalf("status %d, want %d\n%s", status, tc.status, body)
			}
			if got := listed(body, e); status == http.StatusOK && !equalIDs(got, tc.want) {
				t.Errorf("listed %v, want %v", got, tc.want)
			}
		})
	}
	// The overview links to the review queue, and the CSV export keeps the filter.
	if _, _, body := v.get("/ui/"); !strings.Contains(body, `href="/ui/cases?review=pending"`) {
		t.Error("the overview does not link to the cases waiting for an approval")
	}
	_, _, body := v.get("/ui/cases?review=pending")
	if !strings.Contains(body, "/ui/cases.csv?review=pending") {
		t.Error("the CSV link loses the review filter")
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCampaignsPage(t *testing.T) {
	e := newEnv(t)
	v := e.as(recoup.RoleViewer)
	status, _, body := v.get("/ui/campaigns?days=30")
	if status != http.StatusOK {
		t.Fatalf("%d\n%s", status, body)
	}
	// The seeded case's one message, clicked, its case not paid.
	row := regexpRow(body, "gentle")
	for _, want := range []string{`<td class="num">1</td>`, "1 (100.0%)", "0 (0.0%)"} {
		if !strings.Contains(row, want) {
			t.Errorf("the gentle step's row lacks %q:\n%s", want, row)
		}
	}
	// The message was sent two days ago: not in a period that ends before.
	_, _, body = v.get("/ui/campaigns?from=2026-04-01&to=2026-04-30")
	if !strings.Contains(body, "No campaign message was sent in this period.") {
		t.Errorf("an empty period shows steps:\n%s", body)
	}
	if status, _, _ := v.get("/ui/campaigns?days=3"); status != http.StatusBadRequest {
		t.Errorf("days=3: %d, want 400", status)
	}
}

// regexpRow returns the table row that contains s.
func regexpRow(body, s string) string {
	i := strings.Index(body, s)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<tr>")
	end := strings.Index(body[i:], "</tr>")
	if start < 0 || end < 0 {
		return ""
	}
	return body[start : i+end]
}

func TestPolicyHistory(t *testing.T) {
	e := newEnv(t)
	status, _, body := e.as(recoup.RoleViewer).get("/ui/policy")
	if status != http.StatusOK {
		t.Fatalf("%d\n%s", status, body)
	}
	active := regexpRow(body, e.engine.Policy().Version+"</td>\n      <td>")
	old := regexpRow(body, "0ld0ld0ld0ld")
	if !strings.Contains(active, "in force") || old == "" || strings.Contains(old, "in force") {
		t.Errorf("want the version in force marked and the old one not:\nactive: %s\nold: %s", active, old)
	}
	// The table lists the most recently put in force first.
	table := body[strings.Index(body, "<h2>Versions</h2>"):]
	if strings.Index(table, e.engine.Policy().Version) > strings.Index(table, "0ld0ld0ld0ld") {
		t.Error("the older version is listed before the one in force")
	}
}

// The operations page shows the Stripe API errors the client reported, by kind.
func TestOperationsShowsStripeErrors(t *testing.T) {
	m := metrics.New(nil)
	e := newEnv(t, func(c *dashboard.Config) { c.Metrics = m.Registry() })
	m.StripeError("rate_limit")
	m.StripeError("rate_limit")
	status, _, body := e.as(recoup.RoleAdmin).get("/ui/operations")
	if status != http.StatusOK {
		t.Fatalf("%d\n%s", status, body)
	}
	row := regexpRow(body, "kind=rate_limit")
	if !strings.Contains(row, "recoup_stripe_errors_total") || !strings.Contains(row, `<td class="num">2</td>`) {
		t.Errorf("the operations page lacks the Stripe errors:\n%s", body)
	}
}

// The operations page says in words whether Stripe accepts the API key, what Stripe answered
// when it does not, and which requests lack a permission.
func TestOperationsShowsTheStripeKey(t *testing.T) {
	var key dashboard.StripeKey
	e := newEnv(t, func(c *dashboard.Config) { c.StripeKey = func() dashboard.StripeKey { return key } })
	page := func() string {
		t.Helper()
		status, _, body := e.as(recoup.RoleAdmin).get("/ui/operations")
		if status != http.StatusOK {
			t.Fatalf("%d\n%s", status, body)
		}
		return body
	}
	since := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)

	if body := page(); !strings.Contains(body, "Stripe has not answered a request yet.") {
		t.Errorf("before any answer, the page does not say so:\n%s", body)
	}
	key = dashboard.StripeKey{Answered: true, Refused: true, Since: since,
		Problem: "HTTP 401 invalid_request_error: Invalid API Key provided: sk_live_… [request req_1]"}
	body := page()
	for _, want := range []string{"Stripe refuses the API key since", "recoup can read nothing from Stripe and charge nothing",
		"Put a valid key in STRIPE_SECRET_KEY", "Invalid API Key provided: sk_live_…"} {
		if !strings.Contains(body, want) {
			t.Errorf("refused: the page lacks %q:\n%s", want, body)
		}
	}
	key = dashboard.StripeKey{Answered: true, Since: since, Denied: []dashboard.StripeDenial{{Request: "get subscription", At: since,
		Problem: "HTTP 403 invalid_request_error: Having the 'rak_subscription_read' permission would allow this request to continue."}}}
	body = page()
	if strings.Contains(body, "Stripe refuses the API key") || !strings.Contains(body, "Stripe accepts the API key") ||
		!strings.Contains(regexpRow(body, "get subscription"), "rak_subscription_read") {
		t.Errorf("accepted with a permission missing: want the key accepted and the request listed:\n%s", body)
	}
}

// The policy page shows the policy as the engine runs it: mode, retry timing, limits and each
// segment's campaign steps, not only the file.
func TestPolicyPageShowsTheRules(t *testing.T) {
	e := newEnv(t)
	_, _, body := e.as(recoup.RoleViewer).get("/ui/policy")
	p := e.engine.Policy()
	for _, want := range []string{"As the engine runs it", "Mode</dt><dd>" + string(p.Mode) + ":", "Segment: default",
		"Charges at most</dt><dd>" + fmt.Sprint(p.Retry.MaxAttempts), "<td>" + p.Campaign.Steps[0].Template + "</td>", "<td>" + p.Campaign.Steps[0].Tone + "</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("policy page lacks %q", want)
		}
	}
	if p.Retry.Strategy == "model" && !strings.Contains(body, "learned by the timing model, between 06:00 and 21:00 the customer's time, within 45 days of the first failure") {
		t.Errorf("policy page does not describe the learned timing:\n%s", body)
	}
}

// The policy page shows the experiment: its name and unit, each arm with its share and what it
// overrides, the optimize floor, the rules of an arm that overrides any, and, in mode observe,
// that nothing is compared.
func TestPolicyPageShowsTheExperiment(t *testing.T) {
	src := "experiment:\n  name: tones\n  unit: customer\n  arms:\n    - {name: stripe, stripe: true, weight: 2}\n    - {name: base, weight: 1}\n    - {name: late, weight: 1, retry: {hour: 18}, campaign: {hour: 18, steps: [{day: 0, template: update_card, tone: urgent}]}}\n  optimize: {floor: 12.5}\n"
	for _, mode := range []string{"act", "observe"} {
		p, err := policy.Parse("p.yaml", []byte("mode: "+mode+"\n"+src))
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, func(c *dashboard.Config) { c.Policy = func() *policy.Policy { return p } })
		_, _, body := e.as(recoup.RoleViewer).get("/ui/policy")
		for _, want := range []string{"<h2>Experiment: tones</h2>", "By customer: each customer falls in an arm",
			"<td>stripe</td><td class=\"num\">50.0%</td><td>control: Stripe's own recovery",
			"<td>base</td><td class=\"num\">25.0%</td><td>the policy as written (overrides nothing)",
			"<td>late</td><td class=\"num\">25.0%</td><td>the policy with its own retry hour, send hour, campaign steps",
			"each keeping at least 12.5% of all cases", "Segment: default, in arm late (the arm&#39;s settings on top)", "<td>urgent</td>"} {
			if !strings.Contains(body, want) {
				t.Errorf("mode %s: policy page lacks %q", mode, want)
			}
		}
		if note := strings.Contains(body, "the experiment compares nothing until mode act"); note != (mode == "observe") {
			t.Errorf("mode %s: note that nothing is compared shown: %v", mode, note)
		}
	}
}
