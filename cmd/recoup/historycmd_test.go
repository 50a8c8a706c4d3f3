package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

func TestHistoryImportCommand(t *testing.T) {
	clk := time.Now().Add(-30 * 24 * time.Hour)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return clk }}).Start()
	t.Cleanup(fake.Close)
	for range 2 {
		r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
		if err != nil {
			t.Fatal(err)
		}
		clk = clk.Add(72 * time.Hour)
		if paid, err := fake.AutoRetry(r.InvoiceID); err != nil || !paid {
			t.Fatalf("retry: %v %v", paid, err)
		}
	}
	url := sqliteURL(t)
	g := &Globals{DatabaseURL: url, LogLevel: "error"}
	cmd := HistoryImportCmd{StripeFlags: StripeFlags{SecretKey: "sk_test_history", APIBase: fake.URL(), RateLimit: 100}, Since: "365d"}
	var out bytes.Buffer
	if err := cmd.Run(context.Background(), g, &out); err != nil {
		t.Fatal(err)
	}
	if want := "imported 2 invoices, 4 charges"; !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}
	if want := "learned 2 outcome(s)"; !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}

	fake.RefuseKey(true)
	err := cmd.Run(context.Background(), g, &out)
	if err == nil || !strings.Contains(err.Error(), "Stripe refused the API key") {
		t.Errorf("import with a refused key: %v, want it said in words", err)
	}
	cmd.Since = "2y"
	if err := cmd.Run(context.Background(), g, &out); err == nil || !strings.Contains(err.Error(), "--since") {
		t.Errorf("--since 2y: %v, want refused", err)
	}
}

func TestGrouped(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := grouped(n); got != want {
			t.Errorf("grouped(%d) = %q, want %q", n, got, want)
		}
	}
}
