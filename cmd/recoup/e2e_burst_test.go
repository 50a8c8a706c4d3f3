package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/internal/pgtest"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// The month-start burst, small (issue 22): three recoup processes on one PostgreSQL database
// take a burst of invoice.payment_failed webhooks, spread across them by a round-robin proxy
// and delivered 8 at a time, then work every case to its end (retries, a day-0 email, the final
// action). Nothing is done twice: each charge is sent once per idempotency key and succeeds at
// most once per invoice, each email step reaches the mailbox once, each subscription is
// cancelled once. The figures at scale are BenchmarkMonthStartBurst's.
func TestE2EBurstOnPostgresDoesNothingTwice(t *testing.T) {
	dsn := pgtest.DSN(t)
	mb := &smtpCapture{}
	srv := smtp.NewServer(mb)
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	w := newWorld(t)
	w.policyYAML = e2ePolicy + `
campaign:
  hour: 0
  quiet_hours: [0, 0]
  steps:
    - {day: 0, template: update_card, tone: helpful}
`
	comms := func(c *ServeCmd) {
		c.CommsFlags = CommsFlags{SMTPURL: "smtp://" + ln.Addr().String(), SMTPInsecure: true, EmailFrom: "Acme Billing <billing@acme.example>",
			PublicURL: "http://127.0.0.1:1", LinkSecret: "an-e2e-link-secret-of-32-characters!", BrandName: "Acme"}
	}
	var procs []*process
	for range 3 {
		procs = append(procs, w.start(dsn, comms))
	}
	const n = 24
	var renewals []stripefake.Renewal
	w.fake.SetAutoDeliver(false)
	for i := range n {
		r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: fmt.Sprintf("burst%d@example.com", i), AmountDue: int64(1000 + i),
			Decline: stripefake.CardDeclined("insufficient_funds")})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 { // recovered by the second retry
			w.fake.ScriptPay(r.InvoiceID, stripefake.Declined(stripefake.CardDeclined("insufficient_funds")), stripefake.Succeed())
		} else { // exhausted, then cancelled
			d := stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))
			w.fake.ScriptPay(r.InvoiceID, d, d, d, d)
		}
		renewals = append(renewals, r)
	}
	// Every event is delivered twice, as Stripe may, to two different processes.
	st := deliverBurst(t, w, procs, 8, 2)
	if st.failed > 0 {
		t.Fatalf("%d deliveries not acknowledged", st.failed)
	}
	p := procs[0]
	p.waitFor("every case planned", func() bool { return countCases(p, func(c recoup.Case) bool { return c.NextAction != nil }) == n })
	p.waitFor("every day-0 email", func() bool { return mb.count() >= n })

	// Each round moves the clock to the latest planned action; the processes share the jobs.
	for round := 0; round < 8 && countCases(p, resolved) < n; round++ {
		latest := time.Time{}
		forCases(p, func(c recoup.Case) {
			if c.NextAction != nil && c.NextAction.At.After(latest) {
				latest = c.NextAction.At
			}
		})
		w.clock.advanceTo(latest)
		p.waitFor(fmt.Sprintf("round %d's actions", round), func() bool {
			now := w.clock.Now()
			return countCases(p, func(c recoup.Case) bool {
				return resolved(c) || c.NextAction != nil && c.NextAction.At.After(now)
			}) == n
		})
	}
	p.waitFor("every case resolved", func() bool { return countCases(p, resolved) == n })

	for i, r := range renewals {
		v, _ := p.caseOf(r.InvoiceID)
		wantState, wantCharges := recoup.StateRecovered, 1
		if i%2 == 1 {
			wantState, wantCharges = recoup.StateExhausted, 0
		}
		if v.Case.State != wantState {
			t.Errorf("%s: %s, want %s", r.InvoiceID, v.Case.State, wantState)
		}
		if got := w.fake.SucceededCharges(r.InvoiceID); got != wantCharges {
			t.Errorf("%s charged successfully %d times, want %d", r.InvoiceID, got, wantCharges)
		}
		for _, at := range v.Attempts {
			if at.Source == recoup.SourceRecoup && w.fake.PayCalls(at.IdempotencyKey) != 1 {
				t.Errorf("%s: charge %s sent %d times", r.InvoiceID, at.IdempotencyKey, w.fake.PayCalls(at.IdempotencyKey))
			}
		}
	}
	if got := mb.count(); got != n {
		t.Errorf("%d emails for %d cases of one email step", got, n)
	}
	cancels := map[string]int{}
	for _, q := range w.fake.Requests() {
		if q.Method == http.MethodDelete && strings.HasPrefix(q.Path, "/v1/subscriptions/") && q.Status == http.StatusOK && !q.Replayed {
			cancels[strings.TrimPrefix(q.Path, "/v1/subscriptions/")]++
		}
	}
	for i, r := range renewals {
		want := i % 2 // the exhausted ones
		if cancels[r.SubscriptionID] != want {
			t.Errorf("subscription %s cancelled %d times, want %d", r.SubscriptionID, cancels[r.SubscriptionID], want)
		}
	}
}

func resolved(c recoup.Case) bool {
	return c.State == recoup.StateRecovered || c.State == recoup.StateExhausted || c.State == recoup.StateClosed
}

// forCases calls f with each case p lists.
func forCases(p *process, f func(recoup.Case)) {
	p.t.Helper()
	var page struct {
		Cases []recoup.Case `json:"cases"`
	}
	if code := p.api("/api/v1/cases?limit=500", &page); code != 200 {
		p.t.Fatalf("list cases: %d", code)
	}
	for _, c := range page.Cases {
		f(c)
	}
}

func countCases(p *process, pred func(recoup.Case) bool) int {
	n := 0
	forCases(p, func(c recoup.Case) {
		if pred(c) {
			n++
		}
	})
	return n
}

// burstStats are a burst's figures: deliveries, the time to acknowledge them all, the p99
// time to one acknowledgement, and the deliveries not acknowledged 200.
type burstStats struct {
	events  int
	elapsed time.Duration
	p99     time.Duration
	failed  int
}

// deliverBurst delivers every event the fake holds, clients at a time, to the processes in
// turn through a round-robin proxy registered as the fake's webhook endpoint, each copies times.
func deliverBurst(t testing.TB, w *world, procs []*process, clients, copies int) burstStats {
	var urls []string
	for _, p := range procs {
		urls = append(urls, p.url)
	}
	return deliverBurstTo(t, w.fake, urls, clients, copies)
}

// deliverBurstTo delivers each invoice.payment_failed event the fake holds copies times to
// the urls in turn, clients at a time.
func deliverBurstTo(t testing.TB, fake *stripefake.Server, urls []string, clients, copies int) burstStats {
	t.Helper()
	var targets []*url.URL
	for _, u := range urls {
		target, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, target)
	}
	var next atomic.Int64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(targets[int(next.Add(1))%len(targets)])
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients},
	}
	lb := httptest.NewServer(proxy)
	defer lb.Close()
	fake.SetWebhook(lb.URL+"/webhooks/stripe", e2eSecret)

	var ids []string
	for range copies {
		for _, ev := range fake.EventsOfType("invoice.payment_failed") {
			ids = append(ids, ev.ID)
		}
	}
	var i atomic.Int64
	var failed atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for {
				k := int(i.Add(1)) - 1
				if k >= len(ids) {
					return
				}
				t0 := time.Now()
				status, err := fake.Deliver(ids[k])
				lat[c] = append(lat[c], time.Since(t0))
				if err != nil || status != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	st := burstStats{events: len(ids), elapsed: time.Since(start), failed: int(failed.Load())}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		st.p99 = all[len(all)*99/100]
	}
	return st
}
