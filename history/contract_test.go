package history_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/history"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi"
)

// The import's every call, made through the real client, against stripe-mock, which checks each
// request against Stripe's OpenAPI specification: the listings of charges and of invoices with
// their payments expanded, from the start and resumed after an ID (see stripeapi's contract
// test for running stripe-mock). stripe-mock answers fixtures, so what is checked is that every
// call is accepted and decodes, not what is learned.
func TestImportContract(t *testing.T) {
	base := os.Getenv("STRIPE_MOCK_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("STRIPE_MOCK_URL is not set; CI must run the contract tests against stripe-mock")
		}
		t.Skip("STRIPE_MOCK_URL not set; start stripe-mock to run the contract tests")
	}
	c, err := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_123", APIBase: base, MaxNetworkRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	now := time.Now()
	since := now.Add(-365 * 24 * time.Hour).Truncate(time.Second)
	// A checkpoint that stopped mid-listing: the resumed calls carry starting_after.
	err = s.Tx(context.Background(), func(tx recoup.Tx) error {
		return tx.SaveHistoryImport(&recoup.HistoryImport{Since: since, Phase: recoup.ImportCharges, ChargesAfter: "ch_123",
			InvoicesAfter: "in_123", StartedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	im := &history.Importer{Store: s, Stripe: c, Policy: policy.Default()}
	got, err := im.Run(context.Background(), since)
	if err != nil {
		t.Fatalf("resumed import against stripe-mock: %v", err)
	}
	if !got.Resumed || got.Phase != recoup.ImportDone || got.Charges == 0 {
		t.Errorf("resumed import %+v, want done with the fixture's charges", got)
	}
	got, err = im.Run(context.Background(), since)
	if err != nil {
		t.Fatalf("import against stripe-mock: %v", err)
	}
	if got.Resumed || got.Phase != recoup.ImportDone {
		t.Errorf("import %+v, want a new one, done", got)
	}
}
