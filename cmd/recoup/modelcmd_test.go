package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/timing"
)

func TestModelCommands(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "recoup.db")
	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append(args, "--database-url", db), &out, func(int) {})
		return out.String(), err
	}
	if _, err := cmd("migrate"); err != nil {
		t.Fatal(err)
	}
	out, err := cmd("model", "show")
	if err != nil || !strings.Contains(out, "0 outcomes learned") || !strings.Contains(out, "nothing learned yet") {
		t.Fatalf("show on a new database: %v\n%s", err, out)
	}
	b, err := openBackend(ctx, db, jobs.Config{Clock: realClock{}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		o := recoup.Observation{Model: engine.ModelName, Kind: recoup.ObserveOutcome, Features: []string{"bias", "cat:funds", "funds|since_15th:0"}, Success: i%2 == 0}
		if err := b.store.Tx(ctx, func(tx recoup.Tx) error { return tx.AddObservation(&o) }); err != nil {
			t.Fatal(err)
		}
	}
	// A funds charge that passed on the last business day of May, in Britain.
	london, _ := time.LoadLocation("Europe/London")
	tc := timing.Case{Category: recoup.CategoryFunds, Country: "GB", Loc: london, Cal: timing.CalendarFor("GB"),
		FirstFailed: time.Date(2026, 5, 12, 10, 0, 0, 0, london)}
	evidence := timing.PayEvidence(tc, time.Date(2026, 5, 29, 15, 0, 0, 0, london))
	o := recoup.Observation{Model: engine.ModelName, Kind: recoup.ObserveOutcome, Features: append([]string{"bias"}, evidence...), Success: true}
	if err := b.store.Tx(ctx, func(tx recoup.Tx) error { return tx.AddObservation(&o) }); err != nil {
		t.Fatal(err)
	}
	b.close()
	out, err = cmd("model", "show")
	// One case moves little against the public prior (GB: the last business day, which the 29th
	// of May 2026 is), so the schedule that explains it leads.
	if err != nil || !strings.Contains(out, "pay schedules") || !strings.Contains(out, "\nGB ") || !strings.Contains(out, "last_business_day") {
		t.Fatalf("show after a funds success in GB lacks its pay schedules: %v\n%s", err, out)
	}
	out, err = cmd("model", "show", "--filter", "since_15th")
	if err != nil || !strings.Contains(out, "51 outcomes learned") || !strings.Contains(out, "funds|since_15th:0") || strings.Contains(out, "cat:funds") {
		t.Fatalf("show after 50 outcomes: %v\n%s", err, out)
	}
	if _, err := cmd("model", "reset"); err == nil || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("reset without --yes: %v", err)
	}
	if out, err := cmd("model", "reset", "--yes"); err != nil || !strings.Contains(out, "reset") {
		t.Fatalf("reset: %v %s", err, out)
	}
	if out, err := cmd("model", "show"); err != nil || !strings.Contains(out, "0 outcomes learned") {
		t.Fatalf("show after reset: %v\n%s", err, out)
	}
}
