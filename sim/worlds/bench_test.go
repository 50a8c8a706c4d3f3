package worlds_test

import (
	"context"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
)

func BenchmarkRealisticRun(b *testing.B) {
	const n = 3000
	for b.Loop() {
		r := sim.Run{World: "realistic", PolicyName: "recoup", Policy: policy.Default(), Invoices: n,
			Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Months: 12, Window: 60 * 24 * time.Hour, Seed: 1, Dir: b.TempDir()}
		if _, err := r.Execute(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "invoices/s")
}
