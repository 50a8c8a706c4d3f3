package shadow_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/shadow"
	"github.com/recoup-hq/recoup/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

func newStore(t *testing.T) recoup.Store {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return sqlite.NewStore(db, func(context.Context, *sql.Tx, []recoup.Job) error { return nil })
}

type entry struct {
	after   time.Duration
	kind    recoup.EntryKind
	summary string
	detail  map[string]any
}

// addCase stores a case as observe-only mode leaves it: its would-be actions on the timeline and
// Stripe's attempts.
func addCase(t *testing.T, s recoup.Store, c recoup.Case, entries []entry, stripe []recoup.Attempt) {
	t.Helper()
	err := s.Tx(context.Background(), func(tx recoup.Tx) error {
		if err := tx.CreateCase(&c); err != nil {
			return err
		}
		for _, e := range entries {
			d, _ := json.Marshal(e.detail)
			if err := tx.AppendTimeline(&recoup.TimelineEntry{CaseID: c.ID, At: t0.Add(e.after), Kind: e.kind, Summary: e.summary, Detail: d}); err != nil {
				return err
			}
		}
		for _, a := range stripe {
			a.CaseID, a.Source = c.ID, recoup.SourceStripe
			if err := tx.InsertAttempt(&a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestReport(t *testing.T) {
	s := newStore(t)
	day := 24 * time.Hour
	funds := &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds"}
	p := engine.ObservePrefix
	addCase(t, s, recoup.Case{InvoiceID: "in_paid", CustomerID: "cus_1", Amount: recoup.Money{Amount: 2500, Currency: "usd"},
		State: recoup.StateRecovered, RecoveredBy: recoup.ByCustomerPaid, Segment: "standard", ShadowCharges: 2, ResolvedAt: t0.Add(9*day + time.Hour)},
		[]entry{
			{0, recoup.EntryDecision, p + "would retry Mon 2 Mar 2026 15:00 UTC: ...", nil},
			{time.Hour, recoup.EntryAction, p + "would charge 25.00 USD now (charge 1); not charged", map[string]any{"observe_only": true, "would": "charge", "n": 1}},
			{day, recoup.EntryMessage, p + "would send message 0 by email: reminder (gentle); not sent", map[string]any{"step": 0, "template": "reminder"}},
			{3 * day, recoup.EntryAction, p + "would charge 25.00 USD now (charge 2); not charged", map[string]any{"observe_only": true, "would": "charge", "n": 2}},
			{3 * day, recoup.EntryAttempt, "an ordinary entry", nil},
		},
		[]recoup.Attempt{
			{N: 1, Status: recoup.AttemptDeclined, Decline: funds, StartedAt: t0},
			{N: 2, Status: recoup.AttemptDeclined, Decline: funds, StartedAt: t0.Add(5*day - 11*time.Hour)},
		})
	addCase(t, s, recoup.Case{InvoiceID: "in_unpaid", CustomerID: "cus_2", Amount: recoup.Money{Amount: 120000, Currency: "jpy"},
		State: recoup.StateExhausted, ShadowCharges: 1},
		[]entry{
			{2 * time.Hour, recoup.EntryAction, p + "would charge 120000 JPY now (charge 1); not charged", map[string]any{"observe_only": true, "would": "charge", "n": 1}},
			{15 * day, recoup.EntryAction, p + "would run the final action cancel_subscription now; nothing done", map[string]any{"observe_only": true, "would": "final_action", "final_action": "cancel_subscription"}},
		},
		[]recoup.Attempt{{N: 1, Status: recoup.AttemptDeclined, Decline: funds, StartedAt: t0}})
	// A case recoup acted on is not part of the report.
	addCase(t, s, recoup.Case{InvoiceID: "in_acted", CustomerID: "cus_3", State: recoup.StateScheduled, Attempts: 1}, nil, nil)

	r, err := shadow.Build(context.Background(), s, 100)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Cases != 2 || r.Summary.WouldCharges != 3 || r.Summary.StripeAttempts != 3 || r.Summary.Unpaid != 1 ||
		r.Summary.RecoveredBy[recoup.ByCustomerPaid] != 1 || r.Summary.PaidAfterRecoupWouldCharge != 1 {
		t.Errorf("summary %+v", r.Summary)
	}
	var out bytes.Buffer
	if err := shadow.Write(&out, r); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("report differs from %s (run with -update if intended):\n%s", golden, out.String())
	}

	// The limit bounds how many cases are read.
	r, err = shadow.Build(context.Background(), s, 1)
	if err != nil || r.Summary.Cases != 0 {
		t.Errorf("limit 1 reads only the newest case (acted on): %+v %v", r.Summary, err)
	}
}
