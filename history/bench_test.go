package history_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/history"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sqlite"
	"github.com/recoup-hq/recoup/stripeapi"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// BenchmarkImport10000 measures the import of 10,000 failed invoices (each failed once and
// retried once by Stripe: half paid, half declined again; 20,000 charges) from the stateful
// fake Stripe through the real client, into a fresh SQLite file: under serve's default budget
// of 20 requests a second, and without a budget (what the store and the learning cost).
//
//	go test ./history/ -run '^$' -bench Import10000 -benchtime 1x
func BenchmarkImport10000(b *testing.B) {
	n := 10000
	if s := os.Getenv("RECOUP_BENCH_INVOICES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	clk := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return clk }}).Start()
	b.Cleanup(fake.Close)
	since := clk
	funds := stripefake.CardDeclined("insufficient_funds")
	for i := range n {
		clk = since.Add(time.Duration(i) * 45 * time.Minute)
		p := stripefake.RenewalParams{Decline: funds}
		if i%2 == 1 {
			p.Behaviour = stripefake.Declined(funds)
		}
		r, err := fake.NewFailedRenewal(p)
		if err != nil {
			b.Fatal(err)
		}
		clk = clk.Add(72 * time.Hour)
		if _, err := fake.AutoRetry(r.InvoiceID); err != nil {
			b.Fatal(err)
		}
	}
	for _, rate := range []float64{0, 20} {
		name := "budget=" + strconv.FormatFloat(rate, 'f', -1, 64) + "rps"
		if rate == 0 {
			name, rate = "unlimited", 1e6
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "recoup.db"))
				if err != nil {
					b.Fatal(err)
				}
				if err := db.Migrate(context.Background()); err != nil {
					b.Fatal(err)
				}
				c, err := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_bench", APIBase: fake.URL(), RateLimit: rate})
				if err != nil {
					b.Fatal(err)
				}
				im := &history.Importer{Store: sqlite.NewStore(db, nil), Stripe: c, Policy: policy.Default()}
				b.StartTimer()
				got, err := im.Run(context.Background(), since)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if got.Phase != recoup.ImportDone || got.Invoices != n || got.Charges != 2*n {
					b.Fatalf("import %+v, want %d invoices and %d charges", got, n, 2*n)
				}
				b.ReportMetric(float64(got.Observations), "observations")
				db.Close()
				b.StartTimer()
			}
		})
	}
}
