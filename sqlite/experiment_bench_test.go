package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
)

// BenchmarkArmOutcomes measures what optimize reads when a new customer is assigned: each arm's
// resolved and recovered cases, in a transaction, over the experiment's cases (four arms, three
// in four resolved), beside as many cases of no experiment. "counters" is ArmOutcomes (the
// counters of migration 00023); "group-by" the aggregate over the cases that it replaced (the
// covering index of migration 00015), on the same database, outside a store transaction.
//
//	go test ./sqlite -run '^$' -bench ArmOutcomes -benchmem
func BenchmarkArmOutcomes(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
			db := openDB(b, filepath.Join(b.TempDir(), "bench.db"))
			s := sqlite.NewStore(db, jobTable(b, db))
			at := time.Unix(1_800_000_000, 0).UTC()
			states := []recoup.CaseState{recoup.StateRecovered, recoup.StateExhausted, recoup.StateClosed, recoup.StateScheduled}
			arms := []string{"ladder-10", "ladder-18", "reversed-10", "reversed-18"}
			for start := 0; start < 2*n; start += 10_000 {
				err := s.Tx(b.Context(), func(tx recoup.Tx) error {
					for i := start; i < min(start+10_000, 2*n); i++ {
						c := recoup.Case{InvoiceID: fmt.Sprintf("in_%d", i), CustomerID: fmt.Sprintf("cus_%d", i),
							Amount: recoup.Money{Amount: 2500, Currency: "usd"}, State: states[i%4], Category: recoup.CategoryFunds,
							CreatedAt: at, UpdatedAt: at}
						if i%2 == 0 {
							c.Experiment, c.Arm = "campaign-optimize", arms[(i/2)%4]
						}
						if err := tx.CreateCase(&c); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.Run("counters", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					err := s.Tx(b.Context(), func(tx recoup.Tx) error {
						out, err := tx.(recoup.ExperimentTx).ArmOutcomes("campaign-optimize", "")
						if err == nil && len(out) != 4 {
							err = fmt.Errorf("%d arms", len(out))
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("group-by", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					rows, err := db.SQL().QueryContext(b.Context(), `SELECT arm, COUNT(*), SUM(state = 'recovered') FROM cases
						WHERE experiment = ? AND state IN ('recovered', 'exhausted', 'closed') AND arm <> ''
						GROUP BY arm ORDER BY arm`, "campaign-optimize")
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					for rows.Next() {
						n++
					}
					if err := rows.Close(); err != nil || n != 4 {
						b.Fatal(n, err)
					}
				}
			})
		})
	}
}
