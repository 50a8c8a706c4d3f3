package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
)

// BenchmarkRunPayday measures the simulator's own overhead (engine, store, agenda) on the
// smallest world: invoices settled per second.
func BenchmarkRunPayday(b *testing.B) {
	const n = 5000
	for b.Loop() {
		r := sim.Run{World: "test-payday", PolicyName: "recoup", Policy: policy.Default(), Invoices: n,
			Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Months: 12, Window: 30 * 24 * time.Hour, Seed: 1, Dir: b.TempDir()}
		if _, err := r.Execute(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "invoices/s")
}
