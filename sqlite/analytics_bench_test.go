package sqlite_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
)

// benchNow is the end of the benchmark's year of cases.
var benchNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// seedCases bulk-inserts n cases opened over the year before benchNow, and a message for every
// other case, in one statement each: SQLite generates the rows (a recursive CTE), which is
// what makes a million rows take seconds rather than minutes. The mix: 60% recovered (by
// mechanism in turn), 20% exhausted, 10% in recovery, 10% closed; 80% USD, 15% EUR, 5% JPY.
func seedCases(b *testing.B, db *sqlite.DB, n int) {
	b.Helper()
	year := int64(365 * 24 * time.Hour / time.Microsecond)
	start := benchNow.UnixMicro() - year
	_, err := db.SQL().ExecContext(b.Context(), `
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
	INSERT INTO cases (invoice_id, customer_id, subscription_id, customer_email, amount, currency, state,
		category, payment_method_id, new_payment_method_id, attempts, stripe_attempts, first_failed_at,
		plan_seq, recovered_by, final_action, closed_reason, created_at, updated_at, resolved_at, version)
	SELECT 'in_' || i, 'cus_' || (i % 50000), '', 'c' || (i % 50000) || '@example.com', 500 + (i * 7919) % 50000,
		CASE WHEN i % 20 < 16 THEN 'usd' WHEN i % 20 < 19 THEN 'eur' ELSE 'jpy' END,
		CASE WHEN i % 10 < 6 THEN 'recovered' WHEN i % 10 < 8 THEN 'exhausted' WHEN i % 10 = 8 THEN 'scheduled' ELSE 'closed' END,
		CASE (i * 7) % 6 WHEN 0 THEN 'technical' WHEN 1 THEN 'funds' WHEN 2 THEN 'issuer_soft' WHEN 3 THEN 'customer_fix'
			WHEN 4 THEN 'authentication' ELSE 'hard' END,
		'', '', i % 4, i % 4, ?2 + (i * 2654435761) % ?3, 0,
		CASE WHEN i % 10 < 6 THEN CASE i % 4 WHEN 0 THEN 'recoup_retry' WHEN 1 THEN 'customer_paid' WHEN 2 THEN 'stripe_retry' ELSE 'out_of_band' END ELSE '' END,
		'', '', ?2 + (i * 2654435761) % ?3, ?2 + (i * 2654435761) % ?3,
		CASE WHEN i % 10 = 8 THEN NULL ELSE ?2 + (i * 2654435761) % ?3 + (i * 13) % 2592000000000 END, 1
	FROM n`, n, start, year)
	if err != nil {
		b.Fatal(err)
	}
	_, err = db.SQL().ExecContext(b.Context(), `
	INSERT INTO messages (case_id, invoice_id, customer_id, step, channel, template, tone, recipient, subject,
		body, status, error, created_at)
	SELECT id, invoice_id, customer_id, 0, 'email', 'gentle', 'gentle', customer_email, 's', 'b',
		CASE WHEN id % 50 = 0 THEN 'failed' ELSE 'sent' END, '', created_at + 3600000000
	FROM cases WHERE id % 2 = 0`)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(b.Context(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOverview measures the dashboard's overview query on a store of a million cases
// (RECOUP_BENCH_CASES overrides the count), for the last 30 days and for the whole year. The
// seeding is not timed. Record the figures in docs/benchmarks.md.
//
//	go test ./sqlite -run '^$' -bench Overview -benchtime 20x
func BenchmarkOverview(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("RECOUP_BENCH_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	db := openDB(b, filepath.Join(b.TempDir(), "overview.db"))
	seedCases(b, db, n)
	s := sqlite.NewStore(db, nil)
	// The dashboard asks for whole UTC days, served by the rollups; the API may ask for any
	// instants, whose partial first and last days are read from the cases.
	for _, p := range []struct {
		name  string
		days  int
		shift time.Duration
	}{{"30days", 30, 0}, {"365days", 365, 0}, {"30days-unaligned", 30, 12 * time.Hour}} {
		b.Run(p.name, func(b *testing.B) {
			var o recoup.Overview
			for b.Loop() {
				var err error
				if o, err = s.Overview(b.Context(), benchNow.AddDate(0, 0, -p.days).Add(-p.shift), benchNow.Add(-p.shift)); err != nil {
					b.Fatal(err)
				}
			}
			var cases int64
			for _, c := range o.Currencies {
				cases += c.Failed.Count
			}
			b.ReportMetric(float64(cases), "cases")
		})
	}
	// The campaign page reads the period's messages (every other case has one) and their cases.
	for _, days := range []int{30, 365} {
		b.Run("campaign-steps-"+strconv.Itoa(days)+"days", func(b *testing.B) {
			var sent int64
			for b.Loop() {
				steps, err := s.CampaignSteps(b.Context(), benchNow.AddDate(0, 0, -days), benchNow)
				if err != nil {
					b.Fatal(err)
				}
				sent = 0
				for _, st := range steps {
					sent += st.Sent
				}
			}
			b.ReportMetric(float64(sent), "messages")
		})
	}
	b.Run("search-first-page", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.SearchCases(b.Context(), recoup.CaseQuery{States: []recoup.CaseState{recoup.StateExhausted}, Category: recoup.CategoryHard}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
