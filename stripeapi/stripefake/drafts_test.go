package stripefake_test

import (
	"context"
	"net/http"
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
