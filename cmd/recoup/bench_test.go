package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
	"github.com/recoup-hq/recoup/web"
)

// BenchmarkWebhookIntakeSQLite measures webhook intake through the real handler: signature
// verification, the raw event stored once and its processing job inserted in the same SQLite
// transaction. Processing itself is not running. Report: docs/benchmarks.md.
func BenchmarkWebhookIntakeSQLite(b *testing.B) {
	cmd := ServeCmd{StripeFlags: StripeFlags{SecretKey: "sk_test_bench", APIBase: "http://127.0.0.1:1", RateLimit: 20},
		WebhookSecret: e2eSecret, Workers: 1}
	pol := policy.Default()
	a, err := cmd.newApp(context.Background(), "sqlite:"+b.TempDir()+"/bench.db", pol, realClock{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer a.close()
	h := a.web.Handler()
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := n.Add(1)
			body := fmt.Sprintf(`{"id":"evt_bench_%d","object":"event","api_version":"2026-08-26.dahlia","type":"invoice.payment_failed","created":%d,"livemode":false,"data":{"object":{"id":"in_%d","object":"invoice","customer":"cus_%d"}}}`,
				id, time.Now().Unix(), id, id)
			req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(body))
			req.Header.Set("Stripe-Signature", stripefake.SignatureHeader([]byte(body), time.Now(), e2eSecret))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "webhooks/s")
}

// BenchmarkWebhookIntakeVsBare is the load generator of issue 22: clients post signed
// invoice.payment_failed webhooks over loopback HTTP, with keep-alive, as fast as they are
// answered, first to a bare handler (the same HTTP server, routing, signature verification and
// answer, with an intake that stores nothing) and then to the durable one (the event stored and
// its job enqueued in SQLite, WAL, synchronous=FULL, answered once on disk), in the same run.
// It reports both rates, their ratio and each p99 acknowledgement latency. Report:
// docs/benchmarks.md.
//
//	go test ./cmd/recoup -run '^$' -bench WebhookIntakeVsBare -benchtime 1x -count 3
func BenchmarkWebhookIntakeVsBare(b *testing.B) {
	const clients, deliveries = 16, 20000
	cmd := ServeCmd{StripeFlags: StripeFlags{SecretKey: "sk_test_bench", APIBase: "http://127.0.0.1:1", RateLimit: 20},
		WebhookSecret: e2eSecret, Workers: 1}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := cmd.newApp(context.Background(), "sqlite:"+b.TempDir()+"/bench.db", policy.Default(), realClock{}, log)
	if err != nil {
		b.Fatal(err)
	}
	defer a.close()
	bare := web.New(web.Config{Store: a.backend.store, Intake: bareIntake{}, Now: time.Now, Logger: log,
		Verifier: &stripeapi.WebhookVerifier{Secrets: cmd.webhookSecrets()}})
	bareSrv := httptest.NewServer(bare.Handler())
	defer bareSrv.Close()
	durableSrv := httptest.NewServer(a.web.Handler())
	defer durableSrv.Close()

	var round atomic.Int64
	var bareRate, durableRate, bareP99, durableP99 float64
	for b.Loop() {
		r := round.Add(1)
		br, bp := postWebhooks(b, bareSrv.URL, fmt.Sprintf("bare%d", r), clients, deliveries)
		dr, dp := postWebhooks(b, durableSrv.URL, fmt.Sprintf("durable%d", r), clients, deliveries)
		bareRate, durableRate = bareRate+br, durableRate+dr
		bareP99, durableP99 = bareP99+bp.Seconds()*1000, durableP99+dp.Seconds()*1000
	}
	n := float64(round.Load())
	b.ReportMetric(bareRate/n, "bare/s")
	b.ReportMetric(durableRate/n, "durable/s")
	b.ReportMetric(durableRate/bareRate, "ratio")
	b.ReportMetric(bareP99/n, "bare-p99-ms")
	b.ReportMetric(durableP99/n, "durable-p99-ms")
}

// bareIntake stores nothing: the bare handler's.
type bareIntake struct{}

func (bareIntake) Ingest(context.Context, time.Time, *recoup.Event) (bool, error) { return true, nil }

// postWebhooks posts n distinct signed webhooks (ids prefixed by tag) to base with the given
// number of concurrent clients, and returns the deliveries answered per second and the p99
// time to an answer. The bodies are signed before the clock starts.
func postWebhooks(b *testing.B, base, tag string, clients, n int) (perSecond float64, p99 time.Duration) {
	b.Helper()
	bodies := make([][]byte, n)
	sigs := make([]string, n)
	now := time.Now()
	for i := range n {
		bodies[i] = fmt.Appendf(nil, `{"id":"evt_%s_%d","object":"event","api_version":"2026-08-26.dahlia","type":"invoice.payment_failed","created":%d,"livemode":false,"data":{"object":{"id":"in_%s_%d","object":"invoice","customer":"cus_%d","amount_due":1500,"currency":"usd"}}}`,
			tag, i, now.Unix(), tag, i, i)
		sigs[i] = stripefake.SignatureHeader(bodies[i], now, e2eSecret)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/stripe", bytes.NewReader(bodies[i]))
				req.Header.Set("Stripe-Signature", sigs[i])
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat[c] = append(lat[c], time.Since(t0))
				if res.StatusCode != http.StatusOK {
					failed.Store(fmt.Sprintf("status %d", res.StatusCode))
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f != nil {
		b.Fatalf("%s: %v", base, f)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return float64(n) / elapsed.Seconds(), all[len(all)*99/100]
}
