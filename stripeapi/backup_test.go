package stripeapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// A backup charge against the stateful fake: the customer's saved methods are listed across
// pages with their types and fingerprints (the card that failed, the same card attached again,
// a SEPA debit, a second card), and paying the invoice with the second card pays it, once,
// on that card; the same key again is Stripe's replay.
func TestPaymentMethodsAndBackupCharge(t *testing.T) {
	now := time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return now }}).Start()
	t.Cleanup(fake.Close)
	r := failedRenewal(t, fake, stripefake.RenewalParams{AmountDue: 9000, Decline: stripefake.CardDeclined("stolen_card"), Behaviour: stripefake.Declined(stripefake.CardDeclined("stolen_card"))})
	dup := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: r.CustomerID, Fingerprint: "fp_shared"})
	sepa := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: r.CustomerID, Type: "sepa_debit", Last4: "3000", Country: "DE"})
	second := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: r.CustomerID, Brand: "mastercard", Last4: "5454", ExpYear: 2029, ExpMonth: 6})
	other := fake.CreateCustomer(stripefake.CustomerParams{Email: "other@example.com"})
	fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: other})
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1, PageSize: 2})
	ctx := context.Background()

	ms, err := c.PaymentMethods(ctx, r.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]recoup.SavedMethod{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	if len(ms) != 4 || len(byID) != 4 {
		t.Fatalf("methods = %+v, want the customer's 4", ms)
	}
	if m := byID[sepa]; m.Type != "sepa_debit" || m.Last4 != "3000" || m.Fingerprint == "" {
		t.Errorf("SEPA debit = %+v", m)
	}
	if m := byID[second]; m.Type != "card" || m.Brand != "mastercard" || m.Last4 != "5454" || m.ExpYear != 2029 || m.ExpMonth != 6 {
		t.Errorf("second card = %+v", m)
	}
	if byID[dup].Fingerprint != "fp_shared" || byID[r.PaymentMethodID].Fingerprint == byID[second].Fingerprint {
		t.Errorf("fingerprints: %+v", ms)
	}

	req := recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "backup-1", PaymentMethodID: second}
	res, err := c.Pay(ctx, req)
	if err != nil || !res.Paid {
		t.Fatalf("backup charge: %+v %v", res, err)
	}
	if res.Invoice.LastPayment == nil || res.Invoice.LastPayment.PaymentMethodID != second {
		t.Errorf("paid on %+v, want %s", res.Invoice.LastPayment, second)
	}
	if again, err := c.Pay(ctx, req); err != nil || !again.Paid {
		t.Fatalf("replay: %+v %v", again, err)
	}
	if n := fake.SucceededCharges(r.InvoiceID); n != 1 {
		t.Errorf("the invoice was charged %d times", n)
	}
}

// Stripe's failures reach the engine as the codes it retries on: a 500 is EUNAVAILABLE, a
// refused key EUNAUTHORIZED; a method of another customer is refused (EINVALID); a customer
// Stripe does not know has no methods.
func TestPaymentMethodsFailures(t *testing.T) {
	fake := stripefake.New(stripefake.Options{}).Start()
	t.Cleanup(fake.Close)
	r := failedRenewal(t, fake, stripefake.RenewalParams{})
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
	ctx := context.Background()

	fake.FailNextRequests(1, http.StatusInternalServerError)
	if _, err := c.PaymentMethods(ctx, r.CustomerID); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Errorf("500: %v, want EUNAVAILABLE", err)
	}
	if ms, err := c.PaymentMethods(ctx, "cus_nobody"); err != nil || len(ms) != 0 {
		t.Errorf("unknown customer: %+v %v", ms, err)
	}
	other := fake.CreateCustomer(stripefake.CustomerParams{Email: "other@example.com"})
	foreign := fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: other})
	if _, err := c.Pay(ctx, recoup.PayRequest{InvoiceID: r.InvoiceID, IdempotencyKey: "backup-foreign", PaymentMethodID: foreign}); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("another customer's method: %v, want EINVALID", err)
	}
	fake.RefuseKey(true)
	if _, err := c.PaymentMethods(ctx, r.CustomerID); recoup.ErrorCode(err) != recoup.EUNAUTHORIZED {
		t.Errorf("refused key: %v, want EUNAUTHORIZED", err)
	}
}
