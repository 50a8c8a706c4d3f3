package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
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
