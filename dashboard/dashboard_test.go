package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
)

// TestEveryRouteNeedsItsRole walks the dashboard's whole route table and proves that no route
// answers a user without its role: anonymous readers are sent to the login page (GET) or
// refused (POST), signed-in users below the role get 403, and users with it get through.
func TestEveryRouteNeedsItsRole(t *testing.T) {
	e := newEnv(t)
	caseID := strconv.FormatInt(e.cases[0].ID, 10)
	routes := e.dash.Routes()
	// The roles, stated a second time: changing a route's role in the dashboard's table must
	// be a deliberate change here too.
	want := map[string]recoup.Role{
		"GET /ui/login": "", "POST /ui/login": "", "GET /ui/static/{file}": "",
		"POST /ui/logout": recoup.RoleViewer, "POST /ui/logout-everywhere": recoup.RoleViewer, "GET /ui/{$}": recoup.RoleViewer, "GET /ui/cases": recoup.RoleViewer, "GET /ui/overview.csv": recoup.RoleViewer,
		"POST /ui/cases/search": recoup.RoleViewer, "GET /ui/cases.csv": recoup.RoleViewer, "GET /ui/cases/{id}": recoup.RoleViewer,
		"GET /ui/policy": recoup.RoleViewer, "GET /ui/campaigns": recoup.RoleViewer,
		"GET /ui/experiment": recoup.RoleViewer, "GET /ui/experiment.csv": recoup.RoleViewer, "POST /ui/experiment/end": recoup.RoleAdmin,
		"POST /ui/cases/{id}/retry": recoup.RoleOperator, "POST /ui/cases/{id}/skip-final": recoup.RoleOperator,
		"POST /ui/cases/{id}/approve": recoup.RoleOperator,
		"POST /ui/cases/{id}/resolve": recoup.RoleOperator, "POST /ui/cases/{id}/pause": recoup.RoleOperator,
		"POST /ui/cases/{id}/resume": recoup.RoleOperator,
		"GET /ui/audit":              recoup.RoleAdmin, "GET /ui/operations": recoup.RoleAdmin,
	}
	got := map[string]recoup.Role{}
	for _, rt := range routes {
		got[rt.Method+" "+rt.Path] = rt.Role
	}
	if d := cmpRoles(want, got); d != "" {
		t.Fatalf("route table differs from the roles this test expects:\n%s", d)
	}
	for _, rt := range routes {
		path := strings.NewReplacer("{id}", caseID, "{file}", "style-1.css", "{$}", "").Replace(rt.Path)
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			if rt.Role == "" {
				if !strings.HasSuffix(rt.Path, "/login") && !strings.Contains(rt.Path, "/static/") {
					t.Fatalf("public route %s is not the login page or a static file", rt.Path)
				}
				return
			}
			send := func(c *client) (int, string, string) {
				if rt.Method == http.MethodPost {
					return c.post(path, url.Values{"note": {"test"}, "email": {"grace@example.com"}})
				}
				return c.get(path)
			}
			status, loc, _ := send(e.anonymous())
			switch {
			case rt.Method == http.MethodGet && (status != http.StatusSeeOther || loc != "/ui/login"):
				t.Errorf("anonymous: want 303 to /ui/login, got %d %q", status, loc)
			case rt.Method == http.MethodPost && status != http.StatusUnauthorized:
				t.Errorf("anonymous POST: want 401, got %d", status)
			}
			for _, role := range recoup.Roles {
				status, loc, body := send(e.as(role))
				allowed := role.Allows(rt.Role)
				switch {
				case !allowed && status != http.StatusForbidden:
					t.Errorf("%s: want 403 for a route that needs %s, got %d", role, rt.Role, status)
				case allowed && (status == http.StatusForbidden || status == http.StatusUnauthorized || loc == "/ui/login" && !strings.HasSuffix(rt.Path, "/logout") && !strings.HasSuffix(rt.Path, "/logout-everywhere")):
					t.Errorf("%s: refused a route that needs %s: %d %q\n%s", role, rt.Role, status, loc, body)
				case allowed && status >= 500:
					t.Errorf("%s: %d\n%s", role, status, body)
				}
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/ui/cases/%d/resolve", e.cases[0].ID)
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"missing", url.Values{"note": {"x"}}},
		{"wrong", url.Values{"note": {"x"}, "csrf": {"not-the-token"}}},
		{"another session's", url.Values{"note": {"x"}, "csrf": {e.as(recoup.RoleAdmin).csrf}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.as(recoup.RoleOperator)
			c.csrf = "" // post sends the form as given
			if status, _, _ := c.post(path, tc.form); status != http.StatusForbidden {
				t.Fatalf("want 403, got %d", status)
			}
			if got, _ := e.store.Case(t.Context(), e.cases[0].ID); got.State != recoup.StateScheduled {
				t.Fatalf("a refused form changed the case: %s", got.State)
			}
		})
	}
	t.Run("right token", func(t *testing.T) {
		status, loc, body := e.as(recoup.RoleOperator).post(path, url.Values{"note": {"paid by wire"}})
		if status != http.StatusSeeOther || loc != fmt.Sprintf("/ui/cases/%d", e.cases[0].ID) {
			t.Fatalf("want 303 to the case, got %d %q\n%s", status, loc, body)
		}
		if got, _ := e.store.Case(t.Context(), e.cases[0].ID); got.State != recoup.StateRecovered || got.RecoveredBy != recoup.ByOutOfBand {
			t.Fatalf("case %s by %s", got.State, got.RecoveredBy)
		}
	})
	t.Run("login form", func(t *testing.T) {
		c := e.anonymous()
		status, _, _ := c.do("POST", "/ui/login", url.Values{"email": {"admin@example.com"}, "password": {password}, "csrf": {"forged"}})
		if status != http.StatusForbidden {
			t.Fatalf("login without the form's token: want 403, got %d", status)
		}
	})
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	c := e.anonymous()
	if status, _ := c.login("admin@example.com", "wrong password!"); status != http.StatusUnauthorized {
		t.Fatalf("wrong password: want 401, got %d", status)
	}
	if status, _ := c.login("nobody@example.com", password); status != http.StatusUnauthorized {
		t.Fatalf("unknown user: want 401, got %d", status)
	}
	status, loc := c.login(" Admin@Example.com ", password)
	if status != http.StatusSeeOther || loc != "/ui/" {
		t.Fatalf("login: want 303 to /ui/, got %d %q", status, loc)
	}
	status, _, body := c.get("/ui/")
	if status != http.StatusOK || !strings.Contains(body, "admin@example.com") {
		t.Fatalf("overview after login: %d", status)
	}
	m := hiddenCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the overview")
	}
	c.csrf = m[1]
	if status, loc, _ := c.post("/ui/logout", nil); status != http.StatusSeeOther || loc != "/ui/login" {
		t.Fatalf("logout: %d %q", status, loc)
	}
	if status, loc, _ := c.get("/ui/"); status != http.StatusSeeOther || loc != "/ui/login" {
		t.Fatalf("after logout: want the login page, got %d %q", status, loc)
	}
}

func TestSessionCookie(t *testing.T) {
	e := newEnv(t)
	_, _, body := e.anonymous().get("/ui/login")
	m := hiddenCSRF.FindStringSubmatch(body)
	jarless := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", e.srv.URL+"/ui/login", strings.NewReader(url.Values{"csrf": {m[1]}, "email": {"viewer@example.com"}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "recoup_login", Value: m[1]})
	res, err := jarless.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "recoup_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/", session)
	}
	// The store keeps a hash, not the cookie's value.
	if _, err := e.store.Session(t.Context(), session.Value, e.clock()); !recoup.IsNotFound(err) {
		t.Fatalf("the session is findable by its raw cookie value: %v", err)
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Run("per account", func(t *testing.T) {
		e := newEnv(t)
		for i := range 5 {
			// From one address: the account is locked for it.
			if status, _ := e.anonymous().login("operator@example.com", fmt.Sprintf("wrong password %d", i)); status != http.StatusUnauthorized {
				t.Fatalf("attempt %d: want 401, got %d", i+1, status)
			}
		}
		if status, _ := e.anonymous().login("operator@example.com", password); status != http.StatusTooManyRequests {
			t.Fatalf("after 5 failures, the right password: want 429, got %d", status)
		}
		if status, _ := e.anonymous().login("viewer@example.com", password); status != http.StatusSeeOther {
			t.Fatalf("another account: want 303, got %d", status)
		}
		e.advance(15 * time.Minute)
		if status, _ := e.anonymous().login("operator@example.com", password); status != http.StatusSeeOther {
			t.Fatalf("15 minutes later: want 303, got %d", status)
		}
	})
	t.Run("per address", func(t *testing.T) {
		e := newEnv(t)
		c := e.anonymous()
		var last int
		for i := range 21 {
			last, _ = c.login(fmt.Sprintf("guess%d@example.com", i), "wrong password")
		}
		if last != http.StatusTooManyRequests {
			t.Fatalf("21st login from one address: want 429, got %d", last)
		}
	})
}

// Hostile customer data renders as text on every page that shows it.
func TestHostileDataIsEscaped(t *testing.T) {
	e := newEnv(t)
	c := e.as(recoup.RoleAdmin)
	for _, path := range []string{"/ui/cases", fmt.Sprintf("/ui/cases/%d", e.cases[0].ID)} {
		status, _, body := c.get(path)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", path, status)
		}
		if strings.Contains(body, "<script>alert") {
			t.Fatalf("%s renders a script tag from customer data:\n%s", path, body)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
			t.Fatalf("%s does not show the hostile text escaped:\n%s", path, body)
		}
	}
	_, _, body := c.post("/ui/cases/search", url.Values{"email": {hostile + "@example.com"}})
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, fmt.Sprintf(`href="/ui/cases/%d"`, e.cases[0].ID)) {
		t.Fatalf("email search: unescaped or not found:\n%s", body)
	}
}

func TestCasesCSV(t *testing.T) {
	e := newEnv(t)
	status, _, body := e.as(recoup.RoleViewer).get("/ui/cases.csv?state=lost")
	if status != http.StatusOK {
		t.Fatalf("%d", status)
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], strconv.FormatInt(e.cases[2].ID, 10)+",in_3,") {
		t.Fatalf("want the header and the exhausted case, got:\n%s", body)
	}
}

func TestOverviewLinksToCases(t *testing.T) {
	e := newEnv(t)
	status, _, body := e.as(recoup.RoleViewer).get("/ui/?days=7")
	if status != http.StatusOK {
		t.Fatalf("%d\n%s", status, body)
	}
	for _, want := range []string{`<span class="v">$74.00</span>`, `<span class="v">$25.00</span>`, "/ui/cases?currency=usd&amp;from=2026-05-14&amp;state=recovered&amp;to=2026-05-20"} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	// The exhausted case opened 20 days ago is outside the 7 days (though in the weekly trends).
	if strings.Contains(body, `<span class="v">$12.00</span>`) {
		t.Error("overview of 7 days counts a case opened 20 days ago")
	}
	status, _, body = e.as(recoup.RoleViewer).get("/ui/cases?currency=usd&from=2026-05-14&state=recovered&to=2026-05-20")
	if status != http.StatusOK || !strings.Contains(body, ">#"+strconv.FormatInt(e.cases[1].ID, 10)+"<") || strings.Contains(body, ">#"+strconv.FormatInt(e.cases[0].ID, 10)+"<") {
		t.Fatalf("the recovered link does not list exactly the recovered case:\n%s", body)
	}
}

func TestOperatorActionIsAudited(t *testing.T) {
	e := newEnv(t)
	id := e.cases[0].ID
	op := e.as(recoup.RoleOperator)
	if status, _, body := op.post(fmt.Sprintf("/ui/cases/%d/retry", id), nil); status != http.StatusSeeOther {
		t.Fatalf("retry now: %d\n%s", status, body)
	}
	got, _ := e.store.Case(t.Context(), id)
	if got.NextAction == nil || !got.NextAction.At.Equal(e.clock()) || len(e.jobs) != 1 {
		t.Fatalf("retry now did not plan a charge at once: %+v, jobs %+v", got.NextAction, e.jobs)
	}
	// Refused: the exhausted case has nothing to retry. The refusal is shown and audited.
	status, _, body := op.post(fmt.Sprintf("/ui/cases/%d/retry", e.cases[2].ID), nil)
	if status != http.StatusConflict || !strings.Contains(body, "nothing left to plan") {
		t.Fatalf("retry of an exhausted case: %d\n%s", status, body)
	}
	entries, err := e.store.Audit(t.Context(), recoup.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[1].Action != "retry_now" || entries[1].Outcome != "ok" || entries[1].UserEmail != "operator@example.com" ||
		entries[1].CaseID != id || !strings.HasPrefix(entries[0].Outcome, "refused") {
		t.Fatalf("audit log: %+v", entries)
	}
	_, _, body = e.as(recoup.RoleAdmin).get("/ui/audit")
	// In words: the audit page shows "retry now", not the identifier the log stores.
	if !strings.Contains(body, "<td>retry now</td>") || strings.Contains(body, "retry_now") || !strings.Contains(body, "operator@example.com") {
		t.Fatalf("audit page:\n%s", body)
	}
}

func cmpRoles(want, got map[string]recoup.Role) string {
	var b strings.Builder
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			fmt.Fprintf(&b, "%s: want %q, got %q (present: %v)\n", k, w, g, ok)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "%s: unexpected route with role %q\n", k, g)
		}
	}
	return b.String()
}

func TestPauseAndResume(t *testing.T) {
	e := newEnv(t)
	id := e.cases[0].ID
	op := e.as(recoup.RoleOperator)
	if status, _, body := op.post(fmt.Sprintf("/ui/cases/%d/pause", id), nil); status != http.StatusSeeOther {
		t.Fatalf("pause: %d\n%s", status, body)
	}
	_, _, body := op.get(fmt.Sprintf("/ui/cases/%d", id))
	if !strings.Contains(body, `action="/ui/cases/`+strconv.FormatInt(id, 10)+`/resume"`) || strings.Contains(body, "/retry\"") {
		t.Fatalf("a paused case offers resume only:\n%s", body)
	}
	if status, _, body := op.post(fmt.Sprintf("/ui/cases/%d/retry", id), nil); status != http.StatusConflict || !strings.Contains(body, "paused") {
		t.Fatalf("retry of a paused case: %d\n%s", status, body)
	}
	if status, _, body := op.post(fmt.Sprintf("/ui/cases/%d/resume", id), nil); status != http.StatusSeeOther {
		t.Fatalf("resume: %d\n%s", status, body)
	}
	got, _ := e.store.Case(t.Context(), id)
	if got.State == recoup.StatePaused || got.NextAction == nil {
		t.Fatalf("resumed case %s with next %+v", got.State, got.NextAction)
	}
	entries, _ := e.store.Audit(t.Context(), recoup.AuditFilter{CaseID: id})
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action+":"+strings.SplitN(en.Outcome, ":", 2)[0])
	}
	if got, want := strings.Join(actions, ","), "resume:ok,retry_now:refused,pause:ok"; got != want {
		t.Fatalf("audit %s, want %s", got, want)
	}
}

func TestOverviewCSV(t *testing.T) {
	e := newEnv(t)
	status, _, body := e.as(recoup.RoleViewer).get("/ui/overview.csv?from=2026-05-14&to=2026-05-20")
	if status != http.StatusOK {
		t.Fatalf("%d\n%s", status, body)
	}
	for _, want := range []string{
		"from,to,currency,measure,key,count,amount",
		"2026-05-14,2026-05-20,usd,failed,,2,74.00 USD",
		"2026-05-14,2026-05-20,usd,recovered_by,recoup_retry,1,25.00 USD",
		"2026-05-14,2026-05-20,,time_to_recovery,1-3 days,1,",
		"2026-05-14,2026-05-20,,messages,sent,1,",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("overview CSV lacks %q:\n%s", want, body)
		}
	}
}

// Disabling a user ends their sessions at once.
func TestDisabledUserIsSignedOut(t *testing.T) {
	e := newEnv(t)
	c := e.as(recoup.RoleOperator)
	if status, _, _ := c.get("/ui/cases"); status != http.StatusOK {
		t.Fatalf("before: %d", status)
	}
	u := e.users[recoup.RoleOperator]
	u.Disabled = true
	if err := e.store.UpdateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	if status, loc, _ := c.get("/ui/cases"); status != http.StatusSeeOther || loc != "/ui/login" {
		t.Fatalf("after disabling: %d %q, want the login page", status, loc)
	}
	if status, _ := e.anonymous().login(u.Email, password); status != http.StatusUnauthorized {
		t.Fatalf("login of a disabled user: %d, want 401", status)
	}
}

// A final action the policy holds for review is approved from the case page by an operator,
// and the approval is audited; a case not waiting for review offers no approval.
func TestApproveFinalAction(t *testing.T) {
	e := newEnv(t)
	c := e.cases[0]
	op := e.as(recoup.RoleOperator)
	approve := fmt.Sprintf("/ui/cases/%d/approve", c.ID)
	if _, _, body := op.get(fmt.Sprintf("/ui/cases/%d", c.ID)); strings.Contains(body, approve) {
		t.Fatalf("a case not under review offers approval:\n%s", body)
	}
	if status, _, _ := op.post(approve, nil); status != http.StatusConflict {
		t.Fatalf("approve a case not under review: %d, want 409", status)
	}
	if err := e.store.Tx(t.Context(), func(tx recoup.Tx) error {
		got, err := tx.Case(c.ID)
		if err != nil {
			return err
		}
		got.Review = recoup.ReviewPending
		return tx.UpdateCase(&got)
	}); err != nil {
		t.Fatal(err)
	}
	got, _ := e.store.Case(t.Context(), c.ID)
	if !got.State.Active() {
		t.Skipf("seeded case 0 is %s; the test needs an active one", got.State)
	}
	if _, _, body := op.get(fmt.Sprintf("/ui/cases/%d", c.ID)); !strings.Contains(body, `action="`+approve+`"`) {
		t.Fatalf("a case under review does not offer approval:\n%s", body)
	}
	if status, _, body := e.as(recoup.RoleViewer).post(approve, nil); status != http.StatusForbidden {
		t.Fatalf("a viewer approves: %d\n%s", status, body)
	}
	if status, _, body := op.post(approve, nil); status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", status, body)
	}
	got, _ = e.store.Case(t.Context(), c.ID)
	if got.Review != recoup.ReviewApproved || got.ReviewedBy != "operator@example.com" || got.NextAction == nil || got.NextAction.Kind != recoup.ActionFinal {
		t.Fatalf("approved case: review %q by %q, next %+v", got.Review, got.ReviewedBy, got.NextAction)
	}
	entries, _ := e.store.Audit(t.Context(), recoup.AuditFilter{CaseID: c.ID})
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action+":"+strings.SplitN(en.Outcome, ":", 2)[0])
	}
	if got, want := strings.Join(actions, ","), "approve_final_action:ok,approve_final_action:refused"; got != want {
		t.Fatalf("audit %s, want %s", got, want)
	}
}

// A case held while its payment plan is set up offers no action, and says how to finish a
// plan that stopped half-way.
func TestPlanningCaseSaysHowToFinishThePlan(t *testing.T) {
	e := newEnv(t)
	id := e.cases[0].ID
	if err := e.store.Tx(t.Context(), func(tx recoup.Tx) error {
		got, err := tx.Case(id)
		if err != nil {
			return err
		}
		if !got.State.CanTransition(recoup.StatePlanning) {
			t.Skipf("seeded case 0 is %s; the test needs one that can be held for a plan", got.State)
		}
		got.State, got.NextAction = recoup.StatePlanning, nil
		return tx.UpdateCase(&got)
	}); err != nil {
		t.Fatal(err)
	}
	_, _, body := e.as(recoup.RoleOperator).get(fmt.Sprintf("/ui/cases/%d", id))
	if want := fmt.Sprintf("recoup case plan %d --by NAME</code> again", id); !strings.Contains(body, want) {
		t.Fatalf("a planning case's page lacks %q:\n%s", want, body)
	}
	for _, action := range []string{"/retry\"", "/pause\"", "/resolve\"", "/skip-final\""} {
		if strings.Contains(body, action) {
			t.Errorf("a planning case offers %s", action)
		}
	}
}

// historyApart is a store whose case and history reads apart from one another fail: only
// CaseDetail, which reads them in one snapshot, answers.
type historyApart struct{ recoup.Store }

var errApart = recoup.Errorf(recoup.EINTERNAL, "read apart from the case's snapshot")

func (historyApart) Case(context.Context, int64) (recoup.Case, error) { return recoup.Case{}, errApart }
func (historyApart) Timeline(context.Context, int64) ([]recoup.TimelineEntry, error) {
	return nil, errApart
}
func (historyApart) Attempts(context.Context, int64) ([]recoup.Attempt, error) { return nil, errApart }
func (historyApart) Messages(context.Context, int64) ([]recoup.Message, error) { return nil, errApart }

// The case page reads the case and its history in one snapshot (Store.CaseDetail), so that
// its state agrees with its timeline, attempts and messages while the engine works on it.
func TestCasePageReadsOneSnapshot(t *testing.T) {
	e := newEnv(t, func(cfg *dashboard.Config) { cfg.Store = historyApart{cfg.Store} })
	status, _, body := e.as(recoup.RoleViewer).get(fmt.Sprintf("/ui/cases/%d", e.cases[0].ID))
	if status != http.StatusOK {
		t.Fatalf("case page: %d\n%s", status, body)
	}
	for _, want := range []string{"retry Fri: day 3 of the schedule", "please update your card", "insufficient_funds"} {
		if !strings.Contains(body, want) {
			t.Errorf("the case page does not show %q", want)
		}
	}
}

// Issue 19 item 13: the overview refuses a period it cannot report on with a clear 400.
func TestOverviewPeriodBounds(t *testing.T) {
	e := newEnv(t)
	c := e.as(recoup.RoleViewer)
	for _, path := range []string{"/ui/?from=2026-01-01&to=9999-12-31", "/ui/overview.csv?from=2026-01-01&to=9999-12-31"} {
		if status, _, body := c.get(path); status != http.StatusBadRequest || !strings.Contains(body, "2999-12-31") {
			t.Errorf("%s: %d, want 400 naming the bounds", path, status)
		}
	}
}
