package report_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/history/report"
	"github.com/recoup-hq/recoup/sqlite"
)

// BenchmarkReport10000 measures `recoup history report --format html` on 10,000 imported
// failed invoices (a failure, a failed retry a day later, a passing one two days after) and
// 20,000 first-try successes, in a SQLite file: the read of one snapshot, the aggregation
// with the network guard over every card, and the page.
//
//	go test ./history/report/ -run '^$' -bench Report10000 -benchtime 3x
func BenchmarkReport10000(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "recoup.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	s := sqlite.NewStore(db, nil)
	t0 := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	charge := func(id, pm string, at time.Time, code string) recoup.HistoricalCharge {
		ch := recoup.HistoricalCharge{ID: id, Created: at, Amount: 1000, Currency: "usd", Status: "succeeded",
			CustomerID: "cus_" + pm, PaymentIntentID: "pi_" + id, PaymentMethodID: pm, CardBrand: "visa", CardCountry: "US"}
		if code != "" {
			ch.Status, ch.Decline = "failed", &recoup.Decline{Code: "card_declined", DeclineCode: code}
		}
		return ch
	}
	const n = 10000
	for page := 0; page < n; page += 100 {
		err := s.Tx(ctx, func(tx recoup.Tx) error {
			for i := page; i < page+100; i++ {
				pm, start := fmt.Sprintf("pm_%d", i), t0.Add(time.Duration(i)*45*time.Minute)
				chs := []recoup.HistoricalCharge{charge(pm+"a", pm, start, "insufficient_funds"),
					charge(pm+"b", pm, start.Add(day), "insufficient_funds"), charge(pm+"c", pm, start.Add(3*day), ""),
					charge(pm+"x", pm+"x", start, ""), charge(pm+"y", pm+"y", start, "")}
				if _, err := tx.AddHistoryCharges(chs); err != nil {
					return err
				}
				stored, err := tx.HistoryCharges([]string{"pi_" + pm + "a", "pi_" + pm + "b", "pi_" + pm + "c"}, nil)
				if err != nil {
					return err
				}
				if err := tx.SaveHistoryInvoice(recoup.PastInvoice{ID: "in_" + pm, CustomerID: "cus_" + pm, Country: "US",
					Amount: 1000, Currency: "usd", Category: recoup.CategoryFunds, FirstFailedAt: start,
					Ended: recoup.PastPaidByRetry, EndedAt: start.Add(3 * day), Attempts: stored}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	h := recoup.HistoryImport{Since: t0, Phase: recoup.ImportDone, StartedAt: t0, UpdatedAt: t0}
	if err := s.Tx(ctx, func(tx recoup.Tx) error { return tx.SaveHistoryImport(&h) }); err != nil {
		b.Fatal(err)
	}
	from, to := t0, t0.Add(400*day)
	for b.Loop() {
		hist, err := s.ReadHistory(ctx, from, to)
		if err != nil {
			b.Fatal(err)
		}
		r := report.Build(hist, report.Options{From: from, To: to})
		if r.Invoices != n || r.Charges.N != 5*n {
			b.Fatalf("%d invoices, %d charges; want %d, %d", r.Invoices, r.Charges.N, n, 5*n)
		}
		if err := report.HTML(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
