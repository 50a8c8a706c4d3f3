package stripeapi

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// chargeHistory makes n failed charges on one invoice, created a minute apart from clk's time.
func chargeHistory(t *testing.T, fake *stripefake.Server, clk *clock, n int) {
	t.Helper()
	r := failedRenewal(t, fake, stripefake.RenewalParams{})
	for range n - 1 {
		clk.t = clk.t.Add(time.Minute)
		if err := fake.FailRenewal(r.InvoiceID, stripefake.CardDeclined("insufficient_funds")); err != nil {
			t.Fatal(err)
		}
	}
}

// collectCharges reads the listing to the end, failing the test on an error.
func collectCharges(t *testing.T, seq func(func(recoup.HistoricalCharge, error) bool)) []recoup.HistoricalCharge {
	t.Helper()
	var out []recoup.HistoricalCharge
	for ch, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ch)
	}
	return out
}

func chargeListRequests(fake *stripefake.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == http.MethodGet && r.Path == "/v1/charges" {
			n++
		}
	}
	return n
}

func TestChargesNewestFirstAcrossPagesAndResumable(t *testing.T) {
	ctx := context.Background()
	fake, clk := startFakeWithClock(t)
	failedRenewal(t, fake, stripefake.RenewalParams{}) // before the window
	clk.t = clk.t.Add(time.Hour)
	since := clk.t
	chargeHistory(t, fake, clk, 250)

	c, _ := newTestClient(t, fake, Config{})
	c.pageSize = 100
	all := collectCharges(t, c.Charges(ctx, since, ""))
	if len(all) != 250 {
		t.Fatalf("%d charges, want 250", len(all))
	}
	if n := chargeListRequests(fake); n != 3 {
		t.Errorf("%d list requests, want 3 pages of 100", n)
	}
	for i := 1; i < len(all); i++ {
		if !all[i].Created.Before(all[i-1].Created) {
			t.Fatalf("charge %d (%s) is not older than the one before (%s)", i, all[i].Created, all[i-1].Created)
		}
	}
	if !all[len(all)-1].Created.Equal(since) {
		t.Errorf("oldest charge at %s, want the window's start %s", all[len(all)-1].Created, since)
	}

	// A crash after 120 charges: the importer kept the last id and resumes after it. A charge
	// made in between is newer than the cursor, so it is not read again nor missed by the rest.
	var first []string
	for ch, err := range c.Charges(ctx, since, "") {
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, ch.ID)
		if len(first) == 120 {
			break
		}
	}
	clk.t = clk.t.Add(time.Minute)
	failedRenewal(t, fake, stripefake.RenewalParams{})
	var rest []string
	for _, ch := range collectCharges(t, c.Charges(ctx, since, first[len(first)-1])) {
		rest = append(rest, ch.ID)
	}
	var want []string
	for _, ch := range all[120:] {
		want = append(want, ch.ID)
	}
	if !slices.Equal(rest, want) {
		t.Errorf("resumed listing: %d charges, want the %d after the cursor", len(rest), len(want))
	}
}

func TestChargesReadDeclineAndCard(t *testing.T) {
	ctx := context.Background()
	fake, clk := startFakeWithClock(t)
	declined := failedRenewal(t, fake, stripefake.RenewalParams{
		Decline: allCodes, Brand: "mastercard", Funding: "debit", CardCountry: "FR", AmountDue: 4200, Currency: "eur",
	})
	clk.t = clk.t.Add(time.Minute)
	if err := fake.FailRenewal(declined.InvoiceID, stripefake.RetryBlocked()); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Minute)
	if err := fake.PayByCustomer(declined.InvoiceID, declined.PaymentMethodID); err != nil {
		t.Fatal(err)
	}

	c, _ := newTestClient(t, fake, Config{})
	got := collectCharges(t, c.Charges(ctx, time.Time{}, ""))
	if len(got) != 3 {
		t.Fatalf("%d charges, want 3", len(got))
	}
	paid, blocked, issuer := got[0], got[1], got[2]
	for _, ch := range got {
		if ch.CustomerID != declined.CustomerID || ch.PaymentMethodID != declined.PaymentMethodID ||
			ch.PaymentIntentID == "" || ch.Amount != 4200 || ch.Currency != "eur" ||
			ch.CardBrand != "mastercard" || ch.CardFunding != "debit" || ch.CardCountry != "FR" {
			t.Errorf("charge %+v", ch)
		}
	}
	if paid.Status != "succeeded" || paid.Decline != nil || !paid.Created.Equal(clk.t) {
		t.Errorf("paid charge %+v, decline %+v", paid, paid.Decline)
	}
	want := recoup.Decline{
		Code: "card_declined", DeclineCode: "do_not_honor", AdviceCode: "try_again_later",
		NetworkAdviceCode: "24", NetworkDeclineCode: "05", Message: "Your card was declined.",
		OutcomeType: "issuer_declined", OutcomeReason: "do_not_honor", NetworkStatus: "declined_by_network",
		CardBrand: "mastercard", CardFunding: "debit", CardCountry: "FR",
	}
	if issuer.Status != "failed" || issuer.Decline == nil || *issuer.Decline != want {
		t.Errorf("issuer decline %+v\nwant %+v", issuer.Decline, want)
	}
	// Stripe's own block has no issuer code: its reason is Stripe's, not a decline code.
	if d := blocked.Decline; d == nil || d.DeclineCode != "" || !d.RetryBlocked() || d.NetworkStatus != recoup.NetworkNotSent {
		t.Errorf("blocked retry decline %+v", d)
	}
	if issuer.PaymentIntentID != paid.PaymentIntentID {
		t.Errorf("attempts on one invoice name intents %s and %s", issuer.PaymentIntentID, paid.PaymentIntentID)
	}
}

func TestChargesListingFailureMidListIsYieldedOnceAndResumable(t *testing.T) {
	ctx := context.Background()
	fake, clk := startFakeWithClock(t)
	chargeHistory(t, fake, clk, 5)
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
	c.pageSize = 2

	var read []string
	errs := 0
	for ch, err := range c.Charges(ctx, time.Time{}, "") {
		if err != nil {
			errs++
			if recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
				t.Errorf("err = %v, want unavailable", err)
			}
			continue
		}
		read = append(read, ch.ID)
		if len(read) == 2 {
			fake.FailNextRequests(1, http.StatusInternalServerError) // the second page fails
		}
	}
	if errs != 1 || len(read) != 2 {
		t.Fatalf("read %d charges and %d errors, want 2 then 1 error", len(read), errs)
	}
	rest := collectCharges(t, c.Charges(ctx, time.Time{}, read[1]))
	if len(rest) != 3 || slices.Contains(read, rest[0].ID) {
		t.Errorf("resumed after the failure: %d charges, want the 3 not read", len(rest))
	}

	// With retries, Stripe's rate limit mid-list is waited out under the client's budget.
	retrying, rec := newTestClient(t, fake, Config{})
	retrying.pageSize = 2
	n := 0
	for _, err := range retrying.Charges(ctx, time.Time{}, "") {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			fake.FailNextRequests(2, http.StatusTooManyRequests)
		}
	}
	if n != 5 || len(rec.backoffs) != 2 {
		t.Errorf("read %d charges after %d backoffs, want 5 after 2", n, len(rec.backoffs))
	}
}

func TestChargesUnknownCursorIsInvalid(t *testing.T) {
	fake := startFake(t)
	failedRenewal(t, fake, stripefake.RenewalParams{})
	c, _ := newTestClient(t, fake, Config{})
	n := 0
	for _, err := range c.Charges(context.Background(), time.Time{}, "ch_gone") {
		n++
		if recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("err = %v, want invalid", err)
		}
	}
	if n != 1 {
		t.Errorf("yielded %d times", n)
	}
}

func TestInvoicesHistory(t *testing.T) {
	ctx := context.Background()
	fake, clk := startFakeWithClock(t)
	failedRenewal(t, fake, stripefake.RenewalParams{}) // before the window
	clk.t = clk.t.Add(time.Hour)
	since := clk.t
	open := failedRenewal(t, fake, stripefake.RenewalParams{})
	clk.t = clk.t.Add(time.Minute)
	paid := failedRenewal(t, fake, stripefake.RenewalParams{})
	clk.t = clk.t.Add(time.Minute)
	if err := fake.PayByCustomer(paid.InvoiceID, paid.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	paidAt := clk.t
	voided := failedRenewal(t, fake, stripefake.RenewalParams{})
	clk.t = clk.t.Add(time.Minute)
	if err := fake.Void(voided.InvoiceID); err != nil {
		t.Fatal(err)
	}

	c, _ := newTestClient(t, fake, Config{})
	c.pageSize = 2
	var got []recoup.HistoricalInvoice
	for inv, err := range c.Invoices(ctx, since, "") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, inv)
	}
	if len(got) != 3 || got[0].ID != voided.InvoiceID || got[1].ID != paid.InvoiceID || got[2].ID != open.InvoiceID {
		t.Fatalf("invoices %+v, want voided, paid, open (newest first)", got)
	}
	v, p, o := got[0], got[1], got[2]
	if v.Status != recoup.InvoiceVoid || v.VoidedAt.IsZero() || !v.PaidAt.IsZero() {
		t.Errorf("voided invoice %+v", v)
	}
	if p.Status != recoup.InvoicePaid || !p.PaidAt.Equal(paidAt) || p.AmountPaid != p.AmountDue || p.AttemptCount != 1 ||
		p.CustomerID != paid.CustomerID || p.SubscriptionID != paid.SubscriptionID {
		t.Errorf("paid invoice %+v", p)
	}
	if o.Status != recoup.InvoiceOpen || o.AmountPaid != 0 || o.AttemptCount != 1 || !o.PaidAt.IsZero() {
		t.Errorf("open invoice %+v", o)
	}

	// Each charge is joined to its invoice through the invoice's PaymentIntents.
	byIntent := map[string]string{}
	for _, inv := range got {
		if len(inv.PaymentIntentIDs) != 1 {
			t.Errorf("invoice %s payments %v", inv.ID, inv.PaymentIntentIDs)
		}
		for _, pi := range inv.PaymentIntentIDs {
			byIntent[pi] = inv.ID
		}
	}
	joined := 0
	for _, ch := range collectCharges(t, c.Charges(ctx, since, "")) {
		if byIntent[ch.PaymentIntentID] != "" {
			joined++
		}
	}
	if joined != 4 { // open: 1 failed; paid: 1 failed, 1 succeeded; voided: 1 failed
		t.Errorf("%d charges joined to their invoice, want 4", joined)
	}

	// Resuming after the first invoice reads the other two.
	var rest []string
	for inv, err := range c.Invoices(ctx, since, v.ID) {
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, inv.ID)
	}
	if !slices.Equal(rest, []string{paid.InvoiceID, open.InvoiceID}) {
		t.Errorf("resumed invoices %v", rest)
	}
}
