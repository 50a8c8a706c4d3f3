package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/history/report"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

func TestHistoryReportCommand(t *testing.T) {
	clk := time.Now().Add(-30 * 24 * time.Hour)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return clk }}).Start()
	t.Cleanup(fake.Close)
	// Two renewals fail for want of funds and a retry three days later pays each.
	for range 2 {
		r, err := fake.NewFailedRenewal(stripefake.RenewalParams{AmountDue: 2500, Decline: stripefake.CardDeclined("insufficient_funds")})
		if err != nil {
			t.Fatal(err)
		}
		clk = clk.Add(72 * time.Hour)
		if paid, err := fake.AutoRetry(r.InvoiceID); err != nil || !paid {
			t.Fatalf("retry: %v %v", paid, err)
		}
	}
	dir := t.TempDir()
	g := &Globals{DatabaseURL: "sqlite:" + filepath.Join(dir, "recoup.db"), LogLevel: "error"}

	// Before any database: a clear error, and no file created.
	var out bytes.Buffer
	rep := HistoryReportCmd{Since: "365d"}
	err := rep.Run(context.Background(), g, &out)
	if err == nil || !strings.Contains(err.Error(), "run `recoup history import` first") {
		t.Fatalf("report without a database: %v, want it to say to run the import first", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the report created %d files", len(entries))
	}
	// A database with no import yet: the same advice.
	if err := (&MigrateCmd{}).Run(context.Background(), g, &out); err != nil {
		t.Fatal(err)
	}
	if err := rep.Run(context.Background(), g, &out); err == nil || !strings.Contains(err.Error(), "run `recoup history import` first") {
		t.Fatalf("report before an import: %v, want it to say to run the import first", err)
	}

	imp := HistoryImportCmd{StripeFlags: StripeFlags{SecretKey: "sk_test_history", APIBase: fake.URL(), RateLimit: 100}, Since: "365d"}
	if err := imp.Run(context.Background(), g, &out); err != nil {
		t.Fatal(err)
	}

	t.Run("markdown to standard output by default", func(t *testing.T) {
		var out bytes.Buffer
		if err := (&HistoryReportCmd{Since: "365d"}).Run(context.Background(), g, &out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"# What happened to the failed payments", "| insufficient funds | 2 | 100.0% (2 of 2) | 2 | 0 |",
			"50.00 USD failed, 50.00 USD recovered", "What a different retry time would have done"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("Markdown lacks %q:\n%s", want, out.String())
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		var out bytes.Buffer
		if err := (&HistoryReportCmd{Since: "365d", JSON: true}).Run(context.Background(), g, &out); err != nil {
			t.Fatal(err)
		}
		var r struct {
			Invoices    int `json:"invoices"`
			PaidByRetry int `json:"paid_by_retry"`
			Charges     struct{ K, N int }
			ByRetry     []struct {
				Label   string
				Retries struct {
					K, N int
					Pct  float64
				}
			} `json:"by_retry_number"`
			CannotTell []string `json:"what_history_cannot_tell"`
		}
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("%v:\n%s", err, out.String())
		}
		if r.Invoices != 2 || r.PaidByRetry != 2 || r.Charges.K != 2 || r.Charges.N != 4 {
			t.Errorf("JSON: %d invoices, %d paid by retry, %d of %d charges failed; want 2, 2, 2 of 4", r.Invoices, r.PaidByRetry, r.Charges.K, r.Charges.N)
		}
		if len(r.ByRetry) == 0 || r.ByRetry[0].Retries.K != 2 || r.ByRetry[0].Retries.Pct != 100 {
			t.Errorf("JSON by retry number: %+v, want the 1st retry passing 2 of 2", r.ByRetry)
		}
		if len(r.CannotTell) != len(report.CannotTell) {
			t.Errorf("JSON says %d things history cannot tell, want %d", len(r.CannotTell), len(report.CannotTell))
		}
	})
	t.Run("html to a file, the format from its name", func(t *testing.T) {
		var out bytes.Buffer
		path := filepath.Join(t.TempDir(), "history.html")
		if err := (&HistoryReportCmd{Since: "365d", Out: path}).Run(context.Background(), g, &out); err != nil {
			t.Fatal(err)
		}
		page, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(page), "<!DOCTYPE html>") || strings.Count(string(page), "<svg ") != 6 || strings.Contains(string(page), "<script") {
			t.Errorf("HTML report: want a page with six charts and no script:\n%.500s", page)
		}
		if !strings.Contains(out.String(), "wrote "+path) {
			t.Errorf("output %q does not say where the report went", out.String())
		}
	})
	t.Run("conflicting formats", func(t *testing.T) {
		err := (&HistoryReportCmd{Since: "365d", JSON: true, Format: "html"}).Run(context.Background(), g, &bytes.Buffer{})
		if err == nil {
			t.Error("--json --format html: want refused")
		}
	})
}
