package worlds_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
)

// BenchmarkRealisticRun runs 3,000 invoices of the realistic world on each store.
func BenchmarkRealisticRun(b *testing.B) {
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("RECOUP_BENCH_INVOICES")); err == nil && v > 0 {
		n = v // e.g. 30000, to profile at the scale of the 100,000-invoice runs' months
	}
	for _, store := range []string{sim.StoreMemory, sim.StoreSQLite} {
		b.Run(store, func(b *testing.B) {
			for b.Loop() {
				r := sim.Run{World: "realistic", PolicyName: "recoup", Policy: policy.Default(), Invoices: n,
					Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Months: 12, Window: 60 * 24 * time.Hour, Seed: 1,
					Store: store, Dir: b.TempDir()}
				if _, err := r.Execute(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "invoices/s")
		})
	}
}
