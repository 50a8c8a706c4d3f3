package sim_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
	_ "github.com/recoup-hq/recoup/sim/worlds"
	"github.com/recoup-hq/recoup/sqlite"
)

var pastCfg = sim.Config{
	Invoices: 200, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	Window: 60 * 24 * time.Hour, Seed: 11,
}

type pastListing struct {
	Charges  []recoup.HistoricalCharge
	Invoices []recoup.HistoricalInvoice
}

func listAll(t *testing.T, l recoup.HistorySource, since time.Time) pastListing {
	t.Helper()
	var out pastListing
	for ch, err := range l.Charges(context.Background(), since, "") {
		if err != nil {
			t.Fatal(err)
		}
		out.Charges = append(out.Charges, ch)
	}
	for inv, err := range l.Invoices(context.Background(), since, "") {
		if err != nil {
			t.Fatal(err)
		}
		out.Invoices = append(out.Invoices, inv)
	}
	return out
}

// The past a world plays is the same for the same seed, another for another seed, and spans
// the period before the run at the run's rate of failures.
func TestPastIsDeterministicPerSeed(t *testing.T) {
	span := 120 * 24 * time.Hour
	play := func(seed uint64) pastListing {
		cfg := pastCfg
		cfg.Seed = seed
		l, err := sim.PlayPast(context.Background(), "realistic", cfg, span)
		if err != nil {
			t.Fatal(err)
		}
		return listAll(t, l, time.Time{})
	}
	a, b, c := play(11), play(11), play(12)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("the same seed played two pasts")
	}
	if reflect.DeepEqual(a.Invoices, c.Invoices) {
		t.Fatalf("another seed played the same past")
	}
	// 200 failures in 59 days: about 407 in 120 days.
	if n := len(a.Invoices); n != 407 {
		t.Fatalf("%d invoices in the past, want 407", n)
	}
	for _, inv := range a.Invoices {
		if !inv.Created.Before(pastCfg.Start) || inv.Created.Before(pastCfg.Start.Add(-span-time.Hour)) {
			t.Fatalf("invoice %s created %s, outside the past", inv.ID, inv.Created)
		}
	}
	for _, ch := range a.Charges {
		if !ch.Created.Before(pastCfg.Start) {
			t.Fatalf("charge %s made %s, after the past", ch.ID, ch.Created)
		}
	}
}

// A ledger lists as Stripe does: newest first, since a time, resumable after an ID, and an
// unknown ID is refused.
func TestLedgerPages(t *testing.T) {
	l, err := sim.PlayPast(context.Background(), "realistic", pastCfg, 60*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	all := listAll(t, l, time.Time{}).Charges
	if len(all) < 100 {
		t.Fatalf("%d charges", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Created.After(all[i-1].Created) {
			t.Fatalf("charge %d is newer than the one before", i)
		}
	}
	var rest []recoup.HistoricalCharge
	for ch, err := range l.Charges(context.Background(), time.Time{}, all[41].ID) {
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, ch)
	}
	if !reflect.DeepEqual(rest, all[42:]) {
		t.Fatalf("resumed after charge 41: %d charges, want %d", len(rest), len(all)-42)
	}
	since := all[len(all)/2].Created
	n := 0
	for ch, err := range l.Charges(context.Background(), since, "") {
		if err != nil || ch.Created.Before(since) {
			t.Fatalf("since %s: %v %s", since, err, ch.Created)
		}
		n++
	}
	if n < len(all)/2 || n == len(all) {
		t.Fatalf("%d of %d charges since the middle one", n, len(all))
	}
	for _, err := range l.Invoices(context.Background(), time.Time{}, "in_nosuch") {
		if recoup.ErrorCode(err) != recoup.EINVALID {
			t.Fatalf("unknown cursor: %v", err)
		}
	}
}

// The history import reads the world's past through the listings and teaches the timing model
// its outcomes, every one marked history and dated before the run's first failure.
func TestImportPastTeachesTheModel(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.OpenScratch(ctx, filepath.Join(t.TempDir(), "past.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	store := sqlite.NewStore(db, nil)
	st, err := sim.ImportPast(ctx, store, "realistic", pastCfg, 120*24*time.Hour, policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	if st.Invoices != st.ListedInvoices || st.Charges != st.ListedCharges || st.Observations == 0 {
		t.Fatalf("imported %+v", st)
	}
	err = store.Tx(ctx, func(tx recoup.Tx) error {
		h, err := tx.HistoryImport()
		if err != nil {
			return err
		}
		if h.Phase != recoup.ImportDone || h.Observations != st.Observations {
			t.Errorf("import checkpoint %+v", h)
		}
		obs, err := tx.Observations(engine.ModelName, 0, 1_000_000)
		if err != nil {
			return err
		}
		if len(obs) != st.Observations {
			t.Errorf("%d observations stored, %d reported", len(obs), st.Observations)
		}
		for _, o := range obs {
			if o.Source != recoup.ObservedHistory || !o.At.Before(pastCfg.Start) {
				t.Fatalf("observation %+v", o)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func loadPolicy(t *testing.T, name string) *policy.Policy {
	t.Helper()
	p, err := policy.Load(filepath.Join("..", "policies", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Playing the past draws nothing from the run's streams: with or without it, the run meets the
// same failures, and a policy that learns nothing (the fixed schedule) ends every one the same.
func TestHistoryLeavesTheRunsDrawsAlone(t *testing.T) {
	run := func(pol string, past time.Duration) sim.Summary {
		r := sim.Run{World: "realistic", PolicyName: pol, Policy: loadPolicy(t, pol+".yaml"), Invoices: 150, Start: pastCfg.Start,
			Months: 2, Window: 30 * 24 * time.Hour, Seed: 5, Shards: 2, History: past, Dir: t.TempDir()}
		s, err := r.Execute(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	fixed, fixedPast := run("fixed-0-3-7-15", 0), run("fixed-0-3-7-15", 90*24*time.Hour)
	if fixedPast.History == nil || fixedPast.History.Observations == 0 || fixed.History != nil {
		t.Fatalf("history: %+v without, %+v with", fixed.History, fixedPast.History)
	}
	fixedPast.History = nil
	ja, _ := json.Marshal(fixed)
	jb, _ := json.Marshal(fixedPast)
	if string(ja) != string(jb) {
		t.Fatalf("the fixed schedule's run changed with the past:\n%s\n%s", ja, jb)
	}
	learn, learnPast := run("recoup", 0), run("recoup", 90*24*time.Hour)
	for i := range learn.Monthly {
		a, b := learn.Monthly[i], learnPast.Monthly[i]
		if a.FailedInvoices != b.FailedInvoices || a.OracleAmountPct != b.OracleAmountPct {
			t.Fatalf("month %s: %d failures (oracle %.2f%%) without the past, %d (%.2f%%) with", a.Month,
				a.FailedInvoices, a.OracleAmountPct, b.FailedInvoices, b.OracleAmountPct)
		}
	}
	if learn.FailedAmount != learnPast.FailedAmount || learn.FailedAmount != fixed.FailedAmount {
		t.Fatalf("failed amounts %.2f, %.2f, %.2f", learn.FailedAmount, learnPast.FailedAmount, fixed.FailedAmount)
	}
}
