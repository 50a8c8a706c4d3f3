package main

import (
	"context"
	"encoding/csv"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
)

// The dashboard's "recovered by" and the simulator's by_mechanism agree on one demo run. The
// dashboard shows what recoup recorded; by_mechanism is the world's truth (which card a charge
// really ran on, who really paid). In the demo's world recoup sees everything Stripe would show
// it, so the two must be equal, mechanism by mechanism, in invoices and in amount: a charge on
// the customer's new card recorded as recoup's retry, as before, fails it.
func TestDemoRecoveredByAgreesWithTheSimulator(t *testing.T) {
	slow(t)
	truth := recoveredByAgrees(t, policy.Default(), false)
	// The run must exercise the distinction: recoup's retries and the customers' new cards.
	if truth[sim.ByRetry].invoices == 0 || truth[sim.ByCustomerNewCard].invoices == 0 {
		t.Fatalf("the run recovered %+v: too small to tell recoup's retries from the customers' new cards", truth)
	}
}

// With recoup observing and Stripe's own recovery played by the world, what recoup records of
// Stripe's retries (recovered by stripe_retry) agrees with the world too.
func TestDemoRecoveredByStripeAgreesWithTheSimulator(t *testing.T) {
	slow(t)
	observe := policy.Default()
	observe.Mode = policy.ModeObserve
	truth := recoveredByAgrees(t, observe, true)
	if truth[sim.ByStripeRetry].invoices == 0 || truth[sim.ByRetry].invoices != 0 {
		t.Fatalf("the run recovered %+v: want Stripe's retries, and no charge of recoup's", truth)
	}
}

// figure is what one mechanism recovered: invoices and amount, as the dashboard words it.
type figure struct {
	invoices int
	amount   string
}

// recoveredByAgrees runs a demo and checks that the dashboard's "recovered by" equals the
// simulator's by_mechanism; it returns the simulator's.
func recoveredByAgrees(t *testing.T, pol *policy.Policy, stripeRecovery bool) map[sim.Mechanism]figure {
	t.Helper()
	ctx := context.Background()
	db := migratedSQLite(t)
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	// A simulated day every 8.6 ms of real time: the run is bound by the work, not the clock.
	live, err := sim.NewLive(ctx, sim.LiveConfig{World: "realistic", Policy: pol, DB: db, Start: start,
		Speed: 1e7, FailuresPerDay: 30, Days: 5, Seed: 7, StripeRecovery: stripeRecovery})
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Run(ctx); err != nil { // returns once the world is done: every invoice settled
		t.Fatal(err)
	}
	sum, err := live.Summary()
	if err != nil {
		t.Fatal(err)
	}

	store := demoStore(db)
	hash, err := dashboard.HashPassword("demo password")
	if err != nil {
		t.Fatal(err)
	}
	if err := demoAdmin(ctx, store, hash); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(demoDashboard(store, live, nil).Handler())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	read := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s\n%s", resp.Request.URL, resp.Status, b)
		}
		return string(b)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(read(c.Get(srv.URL + "/ui/login")))
	if m == nil {
		t.Fatal("no login form")
	}
	read(c.PostForm(srv.URL+"/ui/login", url.Values{"csrf": {m[1]}, "email": {demoUser}, "password": {"demo password"}}))
	// Every case of the run opened in its five days of failures.
	body := read(c.Get(srv.URL + "/ui/overview.csv?from=2026-03-01&to=2026-03-10"))
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	shown := map[sim.Mechanism]figure{}
	for _, r := range rows[1:] { // from, to, currency, measure, key, count, amount
		if r[3] != "recovered_by" {
			continue
		}
		n, _ := strconv.Atoi(r[5])
		shown[sim.Mechanism(r[4])] = figure{n, r[6]}
	}
	truth := map[sim.Mechanism]figure{}
	for _, by := range recoup.RecoveryMechanisms {
		st := sum.ByMechanism[sim.Mechanism(by)]
		truth[sim.Mechanism(by)] = figure{st.Invoices, recoup.Money{Amount: int64(math.Round(st.Amount * 100)), Currency: sum.Currency}.String()}
	}
	for by := range sum.ByMechanism {
		if _, ok := truth[by]; !ok {
			t.Errorf("the simulator's mechanism %q is not one the dashboard shows", by)
		}
	}
	for _, by := range recoup.RecoveryMechanisms {
		if got, want := shown[sim.Mechanism(by)], truth[sim.Mechanism(by)]; got != want {
			t.Errorf("recovered by %s: the dashboard shows %d invoices, %s; the simulator %d, %s",
				by, got.invoices, got.amount, want.invoices, want.amount)
		}
	}
	t.Logf("recovered by (dashboard = simulator): %+v", truth)
	return truth
}
