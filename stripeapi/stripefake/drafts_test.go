package stripefake_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup/stripeapi/stripefake"
	"github.com/stripe/stripe-go/v86"
)

// Invoices made through the API fail the way Stripe's do: only a draft takes invoice items or
// is deleted, auto_advance changes only on a draft or open invoice, and paying a paid invoice
// (out of band too) is refused with "Invoice is already paid".
func TestDraftInvoiceRefusals(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	draft, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(r.CustomerID), Currency: stripe.String("usd"),
		Metadata: map[string]string{"k": "v"}})
	if err != nil || draft.Status != stripe.InvoiceStatusDraft || draft.AutoAdvance || draft.Metadata["k"] != "v" {
		t.Fatalf("create: %+v %v", draft, err)
	}
	if _, err := sc.V1Invoices.Pay(ctx, draft.ID, &stripe.InvoicePayParams{PaidOutOfBand: stripe.Bool(true)}); stripeErr(t, err).HTTPStatusCode != http.StatusBadRequest {
		t.Errorf("paid a draft: %v", err)
	}
	if _, err := sc.V1Invoices.VoidInvoice(ctx, draft.ID, nil); stripeErr(t, err).HTTPStatusCode != http.StatusBadRequest {
		t.Errorf("voided a draft: %v", err)
	}
	item := &stripe.InvoiceItemCreateParams{Customer: stripe.String(r.CustomerID), Invoice: stripe.String(r.InvoiceID),
		Amount: stripe.Int64(100), Currency: stripe.String("usd")}
	if _, err := sc.V1InvoiceItems.Create(ctx, item); stripeErr(t, err).Code != "invoice_not_editable" {
		t.Errorf("item on an open invoice: %v", err)
	}
	if _, err := sc.V1Invoices.Delete(ctx, r.InvoiceID, nil); stripeErr(t, err).HTTPStatusCode != http.StatusBadRequest {
		t.Errorf("deleted an open invoice: %v", err)
	}
	if err := fake.PayByCustomer(r.InvoiceID, r.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.V1Invoices.Update(ctx, r.InvoiceID, &stripe.InvoiceUpdateParams{AutoAdvance: stripe.Bool(true)}); stripeErr(t, err).HTTPStatusCode != http.StatusBadRequest {
		t.Errorf("auto_advance on a paid invoice: %v", err)
	}
	_, err = sc.V1Invoices.Pay(ctx, r.InvoiceID, &stripe.InvoicePayParams{PaidOutOfBand: stripe.Bool(true)})
	if se := stripeErr(t, err); se.HTTPStatusCode != http.StatusBadRequest || se.Type != stripe.ErrorTypeInvalidRequest || se.Msg != "Invoice is already paid" {
		t.Errorf("settled a paid invoice: %+v", se)
	}
	if _, err := sc.V1Invoices.Delete(ctx, draft.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.V1Invoices.Retrieve(ctx, draft.ID, nil); stripeErr(t, err).HTTPStatusCode != http.StatusNotFound {
		t.Errorf("deleted draft still there: %v", err)
	}
}

// auto_advance off takes an open invoice out of Stripe's automatic collection: Stripe's own
// retry (AutoRetry) is refused and charges nothing until it is on again. An invoice that is
// paid or void renders auto_advance false, as Stripe's do, though it was on when it ended.
func TestAutoAdvanceOffStopsStripesRetries(t *testing.T) {
	ctx := context.Background()
	fake, sc := start(t, stripefake.Options{})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	off, err := sc.V1Invoices.Update(ctx, r.InvoiceID, &stripe.InvoiceUpdateParams{AutoAdvance: stripe.Bool(false)})
	if err != nil || off.AutoAdvance || off.Status != stripe.InvoiceStatusOpen {
		t.Fatalf("off: %+v %v", off, err)
	}
	evs := fake.EventsOfType("invoice.updated")
	if n := len(evs); n == 0 || !strings.Contains(string(evs[n-1].Payload), `"previous_attributes":{"auto_advance":true}`) {
		t.Errorf("invoice.updated: %v", evs)
	}
	if paid, err := fake.AutoRetry(r.InvoiceID); err == nil || paid {
		t.Fatalf("Stripe retried an invoice with auto_advance false: paid %v", paid)
	}
	if snap, _ := fake.Invoice(r.InvoiceID); snap.AttemptCount != 1 || snap.AutoAdvance {
		t.Errorf("after a refused retry: %+v", snap)
	}
	if err := fake.SetPaymentMethodBehaviour(r.PaymentMethodID, stripefake.Succeed()); err != nil {
		t.Fatal(err)
	}
	if on, err := sc.V1Invoices.Update(ctx, r.InvoiceID, &stripe.InvoiceUpdateParams{AutoAdvance: stripe.Bool(true)}); err != nil || !on.AutoAdvance {
		t.Fatalf("on: %+v %v", on, err)
	}
	if paid, err := fake.AutoRetry(r.InvoiceID); err != nil || !paid {
		t.Fatalf("retry once on again: paid %v, %v", paid, err)
	}
	if in, err := sc.V1Invoices.Retrieve(ctx, r.InvoiceID, nil); err != nil || in.Status != stripe.InvoiceStatusPaid || in.AutoAdvance {
		t.Errorf("paid invoice: %+v %v", in, err)
	}
	v, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Void(v.InvoiceID); err != nil {
		t.Fatal(err)
	}
	if in, err := sc.V1Invoices.Retrieve(ctx, v.InvoiceID, nil); err != nil || in.Status != stripe.InvoiceStatusVoid || in.AutoAdvance {
		t.Errorf("void invoice: %+v %v", in, err)
	}
	if _, err := sc.V1Invoices.Update(ctx, v.InvoiceID, &stripe.InvoiceUpdateParams{AutoAdvance: stripe.Bool(false)}); stripeErr(t, err).HTTPStatusCode != http.StatusBadRequest {
		t.Errorf("auto_advance on a void invoice: %v", err)
	}
}
