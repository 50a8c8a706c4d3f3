package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
)

func TestCustomerExportAndErase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "recoup.db")
	if err := run(ctx, []string{"--database-url", path, "--log-level", "error", "migrate"}, &bytes.Buffer{}, func(int) {}); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st := sqlite.NewStore(db, nil)
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	c := recoup.Case{InvoiceID: "in_x", CustomerID: "cus_x", CustomerEmail: "ada@example.com", State: recoup.StateScheduled,
		Category: recoup.CategoryFunds, Amount: recoup.Money{Amount: 2500, Currency: "usd"}, CreatedAt: at, UpdatedAt: at, FirstFailedAt: at}
	if err := st.Tx(ctx, func(tx recoup.Tx) error {
		if err := tx.CreateCase(&c); err != nil {
			return err
		}
		return tx.InsertMessage(&recoup.Message{CaseID: c.ID, CustomerID: "cus_x", Channel: "email", Status: recoup.MessageSent,
			To: "ada@example.com", Subject: "Your card", Text: "Dear Ada", CreatedAt: at})
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"--database-url", path, "--log-level", "error", "customer"}, args...), &out, func(int) {})
		return out.String(), err
	}
	out, err := cli("export", "cus_x")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"customer_id": "cus_x"`, "ada@example.com", "Dear Ada", `"cases"`, `"messages"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the export lacks %s:\n%s", want, out)
		}
	}
	if _, err := cli("erase", "cus_x"); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Fatalf("erase without --yes: %v", err)
	}
	out, err = cli("erase", "cus_x", "--yes")
	if err != nil || !strings.Contains(out, "customer cus_x erased: now erased_") {
		t.Fatalf("erase: %q, %v", out, err)
	}
	if _, err := cli("export", "cus_x"); recoup.ErrorCode(err) != recoup.ENOTFOUND {
		t.Fatalf("export after the erasure: %v", err)
	}
}

func TestRetentionEmptiesOldTexts(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "recoup.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st := sqlite.NewStore(db, nil)
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	c := recoup.Case{InvoiceID: "in_r", CustomerID: "cus_r", State: recoup.StateScheduled, Category: recoup.CategoryFunds,
		Amount: recoup.Money{Amount: 100, Currency: "usd"}, CreatedAt: at, UpdatedAt: at, FirstFailedAt: at}
	if err := st.Tx(ctx, func(tx recoup.Tx) error {
		if err := tx.CreateCase(&c); err != nil {
			return err
		}
		return tx.InsertMessage(&recoup.Message{CaseID: c.ID, CustomerID: "cus_r", Channel: "email", Status: recoup.MessageSent, Text: "Dear Ada", CreatedAt: at})
	}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if p := retainOnce(ctx, st, 90, at.AddDate(0, 0, 89), log); p.Messages != 0 {
		t.Fatalf("a message of 89 days was emptied: %+v", p)
	}
	if p := retainOnce(ctx, st, 90, at.AddDate(0, 0, 91), log); p.Messages != 1 {
		t.Fatalf("a message of 91 days was kept: %+v", p)
	}
	if err := (RetentionFlags{RetentionDays: -1}).validate(); err == nil {
		t.Error("a negative retention was accepted")
	}
}
