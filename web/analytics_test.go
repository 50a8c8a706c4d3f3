package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/expreport"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sqlite"
)

// accessEnv is a server whose access and analytics stores are a real SQLite store.
func accessEnv(t *testing.T) (*env, *sqlite.Store) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "recoup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := sqlite.NewStore(db, nil)
	eng := engine.New(engine.Config{Store: st, Policy: policy.Default()})
	return newEnv(t, func(c *Config) {
		c.Access, c.Analytics, c.Experiments, c.Standing = st, st, expreport.Reader{Store: st}, eng
	}), st
}

// userToken creates a user of the role with an API token and returns the token.
func userToken(t *testing.T, st *sqlite.Store, email string, role recoup.Role, disabled bool) string {
	t.Helper()
	u := recoup.User{Email: email, Role: role, PasswordHash: "unused", Disabled: disabled}
	if err := st.CreateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	token := "rcp_" + email
	h := sha256.Sum256([]byte(token))
	if err := st.CreateAPIToken(t.Context(), &recoup.APIToken{UserID: u.ID, Name: "test", Hash: hex.EncodeToString(h[:])}); err != nil {
		t.Fatal(err)
	}
	return token
}

func TestAPIAcceptsUserTokens(t *testing.T) {
	e, st := accessEnv(t)
	viewer := userToken(t, st, "viewer@example.com", recoup.RoleViewer, false)
	gone := userToken(t, st, "gone@example.com", recoup.RoleAdmin, true)
	for pattern, newReq := range apiRequests(t, e.srv) {
		for _, tc := range []struct {
			name, token string
			want        int
		}{
			{"viewer's token", viewer, http.StatusOK},
			{"admin token", testToken, http.StatusOK},
			{"disabled user's token", gone, http.StatusUnauthorized},
			{"unknown token", "rcp_nobody", http.StatusUnauthorized},
		} {
			t.Run(pattern+"/"+tc.name, func(t *testing.T) {
				req := newReq()
				req.Header.Set("Authorization", "Bearer "+tc.token)
				if rec := e.do(req); rec.Code != tc.want && !(tc.want == http.StatusOK && rec.Code == http.StatusNotFound) {
					t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
				}
			})
		}
	}
}

func TestAnalyticsOverviewAPI(t *testing.T) {
	e, st := accessEnv(t)
	err := st.Tx(context.Background(), func(tx recoup.Tx) error {
		for i, state := range []recoup.CaseState{recoup.StateRecovered, recoup.StateScheduled} {
			c := recoup.Case{InvoiceID: "in_" + string(rune('a'+i)), CustomerID: "cus", Amount: recoup.Money{Amount: 1000, Currency: "eur"},
				State: state, Category: recoup.CategoryFunds, RecoveredBy: map[bool]recoup.RecoveredBy{true: recoup.ByRecoupRetry}[i == 0],
				CreatedAt: testNow.Add(-time.Hour), ResolvedAt: testNow}
			if err := tx.CreateCase(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := e.get("/api/v1/analytics/overview", testToken)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var body struct {
		From       time.Time `json:"from"`
		To         time.Time `json:"to"`
		Currencies []struct {
			Currency    string       `json:"currency"`
			Failed      recoup.Tally `json:"failed"`
			Recovered   recoup.Tally `json:"recovered"`
			RateByCount float64      `json:"rate_by_count"`
		} `json:"currencies"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Currencies) != 1 || body.Currencies[0].Failed.Count != 2 || body.Currencies[0].Recovered.Amount != 1000 || body.Currencies[0].RateByCount != 0.5 {
		t.Fatalf("overview: %s", rec.Body)
	}
	if want := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC); !body.From.Equal(want) || !body.To.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("default period %v to %v, want the 30 days to today included", body.From, body.To)
	}
	for _, q := range []string{"?from=2026-03-02", "?from=2026-03-02&to=2026-03-01", "?from=x&to=y"} {
		if rec := e.get("/api/v1/analytics/overview"+q, testToken); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, rec.Code)
		}
	}
}

func TestDashboardMountedUnderUI(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Dashboard = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	})
	if rec := e.get("/ui/cases", ""); rec.Code != http.StatusTeapot {
		t.Fatalf("/ui/cases: %d, want the dashboard's answer", rec.Code)
	}
	if rec := e.get("/", ""); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/ui/" {
		t.Fatalf("/: %d %q, want a redirect to /ui/", rec.Code, rec.Header().Get("Location"))
	}
}

// docs/openapi.yaml documents every API route the server registers.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e, _ := accessEnv(t)
	spec, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, pattern := range e.srv.apiRoutes {
		method, path, _ := strings.Cut(pattern, " ")
		i := strings.Index(string(spec), "\n  "+path+":\n")
		if i < 0 {
			t.Errorf("docs/openapi.yaml lacks the path %s", path)
			continue
		}
		rest := "\n" + string(spec[i+len(path)+5:])
		if end := strings.Index(rest, "\n  /"); end >= 0 {
			rest = rest[:end]
		}
		if !strings.Contains(rest, "\n    "+strings.ToLower(method)+":") {
			t.Errorf("docs/openapi.yaml lacks %s", pattern)
		}
	}
}

func TestAnalyticsCampaignsAPI(t *testing.T) {
	e, st := accessEnv(t)
	err := st.Tx(context.Background(), func(tx recoup.Tx) error {
		c := recoup.Case{InvoiceID: "in_c", CustomerID: "cus", Amount: recoup.Money{Amount: 1000, Currency: "eur"},
			State: recoup.StateAwaitingCustomer, Category: recoup.CategoryCustomerFix, CreatedAt: testNow.Add(-time.Hour)}
		if err := tx.CreateCase(&c); err != nil {
			return err
		}
		m := recoup.Message{CaseID: c.ID, InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Step: 0, Channel: "email",
			Template: "update_card", Status: recoup.MessageSent, CreatedAt: testNow.Add(-time.Hour), SentAt: testNow.Add(-time.Hour)}
		if err := tx.InsertMessage(&m); err != nil {
			return err
		}
		// Another case, texted, whose customer chose a pause on the card update page.
		c2 := recoup.Case{InvoiceID: "in_d", CustomerID: "cus_d", Amount: recoup.Money{Amount: 1000, Currency: "eur"},
			State: recoup.StateAwaitingCustomer, Category: recoup.CategoryCustomerFix, CreatedAt: testNow.Add(-2 * time.Hour)}
		if err := tx.CreateCase(&c2); err != nil {
			return err
		}
		sms := recoup.Message{CaseID: c2.ID, InvoiceID: c2.InvoiceID, CustomerID: c2.CustomerID, Step: 1, Channel: "sms",
			Template: "default", Status: recoup.MessageSent, CreatedAt: testNow.Add(-2 * time.Hour), SentAt: testNow.Add(-2 * time.Hour)}
		if err := tx.InsertMessage(&sms); err != nil {
			return err
		}
		if err := tx.(recoup.CostRecorder).RecordMessageCost(recoup.MessageCost{MessageID: sms.ID, CaseID: c2.ID, Channel: "sms",
			At: testNow.Add(-2 * time.Hour), Receipt: recoup.Receipt{ProviderID: "SM1", Segments: 1, CostMicros: 7900, Currency: "USD"}}); err != nil {
			return err
		}
		if _, err := tx.(recoup.OfferRecorder).RecordOfferChoice(recoup.OfferChoice{CaseID: c2.ID, Offer: recoup.OfferPause, At: testNow.Add(-time.Minute)}); err != nil {
			return err
		}
		return tx.(recoup.ClickRecorder).RecordClick(c.ID, testNow)
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := e.get("/api/v1/analytics/campaigns", testToken)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var body struct {
		Steps []struct {
			Template  string  `json:"template"`
			Sent      int64   `json:"sent"`
			Clicked   int64   `json:"clicked"`
			ClickRate float64 `json:"click_rate"`
		} `json:"steps"`
		Offers []recoup.OfferCount `json:"offers"`
		Costs  []struct {
			recoup.ChannelCost
			PerMessageMicros int64 `json:"per_message_micros"`
		} `json:"costs"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Steps) != 2 || body.Steps[0].Template != "update_card" || body.Steps[0].Sent != 1 || body.Steps[0].Clicked != 1 || body.Steps[0].ClickRate != 1 {
		t.Fatalf("campaigns: %s", rec.Body)
	}
	// The offers chosen and what the messages cost, as the dashboard's campaigns page shows them.
	if len(body.Offers) != 1 || body.Offers[0] != (recoup.OfferCount{Offer: recoup.OfferPause, Chosen: 1}) {
		t.Errorf("offers: %s", rec.Body)
	}
	if len(body.Costs) != 1 || body.Costs[0].Channel != "sms" || body.Costs[0].Messages != 1 || body.Costs[0].CostMicros != 7900 ||
		body.Costs[0].Currency != "USD" || body.Costs[0].PerMessageMicros != 7900 {
		t.Errorf("costs: %s", rec.Body)
	}
	if rec := e.get("/api/v1/analytics/campaigns?from=x&to=y", testToken); rec.Code != http.StatusBadRequest {
		t.Errorf("bad dates: status %d, want 400", rec.Code)
	}
}

// Issue 19 item 13: a period outside the years recoup can report on is a clear 400, not a
// failure to write the answer (a year-10000 end).
func TestAnalyticsPeriodBounds(t *testing.T) {
	e, _ := accessEnv(t)
	for _, path := range []string{"/api/v1/analytics/overview", "/api/v1/analytics/campaigns"} {
		for _, q := range []string{"?from=2026-01-01&to=9999-12-31", "?from=0001-01-01&to=2026-01-01"} {
			rec := e.get(path+q, testToken)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "2999-12-31") {
				t.Errorf("%s%s: %d %s, want 400 naming the bounds", path, q, rec.Code, rec.Body)
			}
		}
	}
}

// Issue 19 item 5: an API token past its expiry opens nothing.
func TestAPIRefusesExpiredTokens(t *testing.T) {
	e, st := accessEnv(t)
	u := recoup.User{Email: "ci@example.com", Role: recoup.RoleViewer, PasswordHash: "unused"}
	if err := st.CreateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	for token, expires := range map[string]time.Time{"rcp_expired": testNow, "rcp_valid": testNow.Add(time.Hour)} {
		h := sha256.Sum256([]byte(token))
		if err := st.CreateAPIToken(t.Context(), &recoup.APIToken{UserID: u.ID, Name: token, Hash: hex.EncodeToString(h[:]), ExpiresAt: expires}); err != nil {
			t.Fatal(err)
		}
	}
	if rec := e.get("/api/v1/cases", "rcp_expired"); rec.Code != http.StatusUnauthorized {
		t.Errorf("an expired token: %d, want 401", rec.Code)
	}
	if rec := e.get("/api/v1/cases", "rcp_valid"); rec.Code != http.StatusOK {
		t.Errorf("a token before its expiry: %d, want 200", rec.Code)
	}
}
