package history_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/history"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sqlite"
	"github.com/recoup-hq/recoup/stripeapi"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// account is a fake Stripe holding a past: n failed renewals of n customers, each declined for
// lack of funds, declined again by Stripe's retry three days later, and paid by Stripe's retry
// four days after that; the first customer fails again a month later and pays with a new card.
type account struct {
	fake  *stripefake.Server
	clk   *clock
	since time.Time
}

func newAccount(t *testing.T, n int) *account {
	t.Helper()
	clk := &clock{t: time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)}
	fake := stripefake.New(stripefake.Options{Now: clk.now}).Start()
	t.Cleanup(fake.Close)
	a := &account{fake: fake, clk: clk, since: clk.t.Add(-time.Hour)}
	funds := stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))
	var first stripefake.Renewal
	for i := range n {
		clk.t = clk.t.Add(time.Hour)
		r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Country: "FR", CardCountry: "FR", Decline: stripefake.CardDeclined("insufficient_funds"), Behaviour: funds})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r
		}
		clk.t = clk.t.Add(72 * time.Hour)
		if paid, err := fake.AutoRetry(r.InvoiceID); err != nil || paid {
			t.Fatalf("first retry of %s: paid %v, %v", r.InvoiceID, paid, err)
		}
		if err := fake.SetPaymentMethodBehaviour(r.PaymentMethodID, stripefake.Succeed()); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(96 * time.Hour)
		if paid, err := fake.AutoRetry(r.InvoiceID); err != nil || !paid {
			t.Fatalf("second retry of %s: paid %v, %v", r.InvoiceID, paid, err)
		}
		clk.t = clk.t.Add(-167 * time.Hour)
	}
	// The first customer's next renewal fails; they pay it with a new card.
	clk.t = clk.t.Add(30 * 24 * time.Hour)
	if err := fake.SetPaymentMethodBehaviour(first.PaymentMethodID, funds); err != nil {
		t.Fatal(err)
	}
	inv := fake.CreateInvoice(stripefake.InvoiceParams{Customer: first.CustomerID, Subscription: first.SubscriptionID, AmountDue: 2000})
	if err := fake.FailRenewal(inv, stripefake.CardDeclined("insufficient_funds")); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(48 * time.Hour)
	if paid, err := fake.AutoRetry(inv); err != nil || paid {
		t.Fatalf("retry of the second invoice: paid %v, %v", paid, err)
	}
	clk.t = clk.t.Add(time.Hour)
	pm := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: first.CustomerID, Country: "FR"})
	if err := fake.PayByCustomer(inv, pm); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(24 * time.Hour)
	return a
}

func (a *account) client(t *testing.T, cfg stripeapi.Config) *stripeapi.Client {
	t.Helper()
	cfg.SecretKey, cfg.APIBase = "sk_test_history", a.fake.URL()
	if cfg.RateLimit == 0 {
		cfg.RateLimit = 10000
	}
	if cfg.RetryBaseDelay == 0 {
		cfg.RetryBaseDelay, cfg.RetryMaxDelay = time.Millisecond, 2*time.Millisecond
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 3
	}
	c, err := stripeapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newStore(t *testing.T) recoup.Store {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "recoup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return sqlite.NewStore(db, nil)
}

func (a *account) importer(s recoup.Store, c history.Stripe) *history.Importer {
	return &history.Importer{Store: s, Stripe: c, Policy: policy.Default(), Now: a.clk.now, PageSize: 3}
}

func observations(t *testing.T, s recoup.Store) []recoup.Observation {
	t.Helper()
	var out []recoup.Observation
	err := s.Tx(context.Background(), func(tx recoup.Tx) (err error) {
		out, err = tx.Observations(engine.ModelName, 0, 10000)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// learned is what the model learned, without the store's IDs: the same facts in the same order.
func learned(obs []recoup.Observation) []string {
	var out []string
	for _, o := range obs {
		out = append(out, o.Source+" "+o.At.UTC().Format(time.RFC3339)+" "+map[bool]string{true: "paid", false: "declined"}[o.Success]+" "+strings.Join(o.Features, ","))
	}
	return out
}

func TestImportReadsEveryPageAndLearnsEachRetry(t *testing.T) {
	a := newAccount(t, 7)
	s := newStore(t)
	var seen []history.Progress
	im := a.importer(s, a.client(t, stripeapi.Config{}))
	im.Progress = func(p history.Progress) { seen = append(seen, p) }
	got, err := im.Run(context.Background(), a.since)
	if err != nil {
		t.Fatal(err)
	}
	// 7 invoices of 3 charges, and the first customer's second invoice of 3 (two on the card
	// that failed, one on the new card).
	if got.Phase != recoup.ImportDone || got.Charges != 24 || got.Invoices != 8 {
		t.Errorf("import ended %+v, want done with 24 charges and 8 invoices", got)
	}
	// Each invoice's two retries of the failed card; the new card's payment teaches nothing.
	obs := observations(t, s)
	if len(obs) != 15 || got.Observations != 15 {
		t.Fatalf("%d observations (%d reported), want 15: 7 invoices x 2 retries + 1", len(obs), got.Observations)
	}
	paid := 0
	for _, o := range obs {
		if o.Source != recoup.ObservedHistory {
			t.Errorf("observation %d has source %q, want history", o.ID, o.Source)
		}
		if o.Success {
			paid++
		}
	}
	if paid != 7 {
		t.Errorf("%d paid outcomes, want 7", paid)
	}
	// The second invoice of the first customer knows how their first one ended.
	last := obs[len(obs)-1]
	if !slices.Contains(last.Features, "past:paid_by_retry") {
		t.Errorf("the latest invoice's retry does not know the customer's card passed a retry before: %v", last.Features)
	}
	if len(seen) < 8 {
		t.Errorf("%d progress reports, want one per page (several pages of 3)", len(seen))
	}
	lists := map[string]int{}
	for _, r := range a.fake.Requests() {
		if r.Method == "GET" {
			lists[r.Path]++
		}
	}
	if lists["/v1/charges"] < 8 || lists["/v1/invoices"] < 3 {
		t.Errorf("list requests %v, want 24 charges and 8 invoices read 3 a page", lists)
	}
}

func TestImportResumesAfterAKillAndAddsNothingTwice(t *testing.T) {
	a := newAccount(t, 7)
	whole := newStore(t)
	if _, err := a.importer(whole, a.client(t, stripeapi.Config{})).Run(context.Background(), a.since); err != nil {
		t.Fatal(err)
	}
	want := learned(observations(t, whole))

	for _, phase := range []string{recoup.ImportCharges, recoup.ImportInvoices} {
		t.Run("killed while reading "+phase, func(t *testing.T) {
			s := newStore(t)
			ctx, cancel := context.WithCancel(context.Background())
			im := a.importer(s, a.client(t, stripeapi.Config{}))
			pages := 0
			im.Progress = func(p history.Progress) {
				if p.Phase == phase {
					if pages++; pages == 2 {
						cancel() // mid-listing: the next page's request is cut
					}
				}
			}
			if _, err := im.Run(ctx, a.since); !errors.Is(err, context.Canceled) {
				t.Fatalf("killed import: %v, want canceled", err)
			}
			im.Progress = nil
			got, err := im.Run(context.Background(), a.since.Add(time.Hour)) // the stopped import's date stands
			if err != nil {
				t.Fatal(err)
			}
			if !got.Resumed || got.Phase != recoup.ImportDone || !got.Since.Equal(a.since) {
				t.Errorf("second run %+v, want the first resumed to the end", got)
			}
			if d := diffLines(want, learned(observations(t, s))); d != "" {
				t.Errorf("observations after a kill and a resume differ from one whole import:\n%s", d)
			}
		})
	}

	t.Run("a second import adds nothing", func(t *testing.T) {
		got, err := a.importer(whole, a.client(t, stripeapi.Config{})).Run(context.Background(), a.since)
		if err != nil {
			t.Fatal(err)
		}
		if got.Resumed || got.Charges != 0 || got.Observations != 0 {
			t.Errorf("re-run %+v, want a new import storing no charge and teaching nothing", got)
		}
		if d := diffLines(want, learned(observations(t, whole))); d != "" {
			t.Errorf("observations after a re-run:\n%s", d)
		}
	})
}

func diffLines(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	var b strings.Builder
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			b.WriteString("- " + w + "\n+ " + g + "\n")
		}
	}
	return b.String()
}

func TestImportRetriesRateLimitsAndStripeDown(t *testing.T) {
	a := newAccount(t, 3)
	s := newStore(t)
	a.fake.FailNextRequests(2, 429)
	got, err := a.importer(s, a.client(t, stripeapi.Config{})).Run(context.Background(), a.since)
	if err != nil {
		t.Fatalf("import through two 429s: %v", err)
	}
	if got.Phase != recoup.ImportDone || got.Invoices != 4 {
		t.Errorf("import %+v, want done with 4 invoices", got)
	}

	down := newStore(t)
	a.fake.FailNextRequests(100, 503)
	_, err = a.importer(down, a.client(t, stripeapi.Config{MaxNetworkRetries: 2})).Run(context.Background(), a.since)
	if recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Errorf("import while Stripe is down: %v, want unavailable", err)
	}
}

func TestImportRefusedKeySaysSo(t *testing.T) {
	a := newAccount(t, 1)
	a.fake.RefuseKey(true)
	_, err := a.importer(newStore(t), a.client(t, stripeapi.Config{})).Run(context.Background(), a.since)
	if recoup.ErrorCode(err) != recoup.EUNAUTHORIZED {
		t.Fatalf("import with a refused key: %v, want unauthorized", err)
	}
	if !strings.Contains(err.Error(), "read charges from Stripe") {
		t.Errorf("error %q does not say what was being done", err)
	}
}

func TestReimportLearnsOnlyTheNewAttemptsOfAnInvoiceStillOpen(t *testing.T) {
	a := newAccount(t, 2)
	funds := stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))
	r, err := a.fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds"), Behaviour: funds})
	if err != nil {
		t.Fatal(err)
	}
	a.clk.t = a.clk.t.Add(72 * time.Hour)
	if _, err := a.fake.AutoRetry(r.InvoiceID); err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	_, err = a.importer(s, a.client(t, stripeapi.Config{})).Run(context.Background(), a.since)
	if err != nil {
		t.Fatal(err)
	}
	before := learned(observations(t, s))

	// The open invoice's card passes Stripe's next retry; the import runs again.
	a.clk.t = a.clk.t.Add(96 * time.Hour)
	if err := a.fake.SetPaymentMethodBehaviour(r.PaymentMethodID, stripefake.Succeed()); err != nil {
		t.Fatal(err)
	}
	if paid, err := a.fake.AutoRetry(r.InvoiceID); err != nil || !paid {
		t.Fatalf("retry: paid %v, %v", paid, err)
	}
	a.clk.t = a.clk.t.Add(time.Hour)
	second, err := a.importer(s, a.client(t, stripeapi.Config{})).Run(context.Background(), a.since)
	if err != nil {
		t.Fatal(err)
	}
	after := learned(observations(t, s))
	if second.Charges != 1 || second.Observations != 1 || len(after) != len(before)+1 {
		t.Fatalf("re-import stored %d charges and taught %d outcomes (%d -> %d observations), want the one new retry",
			second.Charges, second.Observations, len(before), len(after))
	}
	if d := diffLines(before, after[:len(before)]); d != "" {
		t.Errorf("the earlier observations changed:\n%s", d)
	}
	if !strings.HasPrefix(after[len(after)-1], "history ") || !strings.Contains(after[len(after)-1], " paid ") {
		t.Errorf("the new observation is %q, want the paid retry from history", after[len(after)-1])
	}
}
