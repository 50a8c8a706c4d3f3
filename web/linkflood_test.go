package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
	"github.com/recoup-hq/recoup/stripeapi"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
	"github.com/recoup-hq/recoup/updatelink"
)

// The replay of one card update link (issue 19, item 9), against the stateful fake Stripe
// through the real Stripe client: floodLink sends n requests for one case's /u/ link, a fifth
// of them HEAD (mail scanners), from 10 client addresses, while the clock moves 50 ms per
// request (20 requests a second), and counts the Stripe calls and the case's timeline rows.
//
// The figures in docs/benchmarks.md come from
//
//	go test -run '^$' -bench '^BenchmarkLinkFlood$' -benchtime 1x ./web/
//
// which reports them per 1,000 link requests.

type floodResult struct {
	stripeCalls  int // requests the fake Stripe received
	timelineRows int // rows the flood added to the case's timeline
	statuses     map[int]int
}

// steppingClock advances by step on every reading after the first.
type steppingClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *steppingClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func floodLink(tb testing.TB, n int) floodResult {
	tb.Helper()
	ctx := context.Background()
	clk := &steppingClock{t: testNow, step: 50 * time.Millisecond / 4} // about four readings per request
	fake := stripefake.New(stripefake.Options{Now: clk.now}).Start()
	tb.Cleanup(fake.Close)
	// A rate far above the default, so the client's own bucket does not slow the run: what is
	// counted is how many calls the link makes.
	gw, err := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_flood", APIBase: fake.URL(), RateLimit: 100000, MaxNetworkRetries: -1})
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "recoup.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	store := sqlite.NewStore(db, func(context.Context, *sql.Tx, []recoup.Job) error { return nil })
	signer, err := updatelink.NewSigner([]byte("link-secret-for-tests-0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	srv := New(Config{Store: store, Intake: newFakeIntake(), Verifier: &hmacVerifier{secret: testSecret}, Now: clk.now,
		Links: &LinksConfig{Signer: signer, Portal: gw, BaseURL: "https://pay.example.com", Company: "Acme", Support: "help@acme.example"}})

	cus := fake.CreateCustomer(stripefake.CustomerParams{Email: "flood@example.com", Name: "Flo Od"})
	c := recoup.Case{InvoiceID: "in_flood", CustomerID: cus, State: recoup.StateAwaitingCustomer, Category: recoup.CategoryCustomerFix,
		Amount: recoup.Money{Amount: 2500, Currency: "usd"}, CreatedAt: testNow, UpdatedAt: testNow, FirstFailedAt: testNow}
	if err := store.Tx(ctx, func(tx recoup.Tx) error { return tx.CreateCase(&c) }); err != nil {
		tb.Fatal(err)
	}
	tok, err := signer.Issue(updatelink.Update, c.ID, testNow.Add(24*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	before := len(fake.Requests())
	res := floodResult{statuses: map[int]int{}}
	for i := range n {
		method := http.MethodGet
		if i%5 == 4 {
			method = http.MethodHead
		}
		r := httptest.NewRequest(method, "/u/"+tok, nil)
		r.RemoteAddr = fmt.Sprintf("203.0.113.%d:4711", i%10+1)
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, r)
		res.statuses[w.Code]++
	}
	res.stripeCalls = len(fake.Requests()) - before
	tl, err := store.Timeline(ctx, c.ID)
	if err != nil {
		tb.Fatal(err)
	}
	res.timelineRows = len(tl)
	return res
}

func BenchmarkLinkFlood(b *testing.B) {
	var res floodResult
	for b.Loop() {
		res = floodLink(b, 1000)
	}
	b.ReportMetric(float64(res.stripeCalls), "stripe-calls/1000req")
	b.ReportMetric(float64(res.timelineRows), "timeline-rows/1000req")
	b.Logf("statuses: %v", res.statuses)
}
