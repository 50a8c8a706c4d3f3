package stripeapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// A payment plan's calls against the stateful fake: a part is an inert draft until it is
// turned on, is found again by its metadata, and is removed by deleting the draft.
func TestPlanPartLifecycle(t *testing.T) {
	now := time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return now }}).Start()
	t.Cleanup(fake.Close)
	r := failedRenewal(t, fake, stripefake.RenewalParams{AmountDue: 9000})
	if err := fake.SetPaymentMethodBehaviour(r.PaymentMethodID, stripefake.Succeed()); err != nil {
		t.Fatal(err)
	}
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
	ctx := context.Background()
	since := now.Add(-time.Hour)

	part := func(n int) recoup.PlanInvoice {
		return recoup.PlanInvoice{CustomerID: r.CustomerID, Amount: 3000, Currency: "usd", Description: "part",
			Metadata:       map[string]string{metaPlanOf: r.InvoiceID, metaPlanPart: []string{"", "1/3", "2/3", "3/3"}[n]},
			IdempotencyKey: "plan-part-" + []string{"", "1", "2", "3"}[n]}
	}
	var ids []string
	for n := 1; n <= 3; n++ {
		id, err := c.CreatePlanInvoice(ctx, part(n))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// The same key again creates nothing.
	if id, err := c.CreatePlanInvoice(ctx, part(1)); err != nil || id != ids[0] {
		t.Fatalf("replay: %q %v", id, err)
	}
	// Another invoice of the customer's is not a part.
	fake.CreateInvoice(stripefake.InvoiceParams{Customer: r.CustomerID, AmountDue: 100})

	parts, err := c.PlanParts(ctx, r.CustomerID, r.InvoiceID, since)
	if err != nil || len(parts) != 3 {
		t.Fatalf("parts %+v %v", parts, err)
	}
	for _, p := range parts {
		if p.Status != recoup.InvoiceDraft || p.AutoAdvance || p.Amount != 3000 || p.Of != 3 || p.N < 1 || !p.Created.Equal(now) {
			t.Errorf("part %+v", p)
		}
	}
	// Drafts that Stripe leaves alone are never finalized nor charged.
	now = now.Add(48 * time.Hour)
	if fin := fake.RunScheduledInvoices(); len(fin) != 0 {
		t.Fatalf("finalized %v", fin)
	}

	// Turned on, a part is finalized and charged when it falls due, not before.
	if err := c.SchedulePlanInvoice(ctx, ids[0], now, "plan-on-past"); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Fatalf("schedule now: %v", err)
	}
	if err := c.SchedulePlanInvoice(ctx, ids[0], now.Add(time.Hour), "plan-on-1"); err != nil {
		t.Fatal(err)
	}
	if fin := fake.RunScheduledInvoices(); len(fin) != 0 {
		t.Fatalf("finalized early: %v", fin)
	}
	now = now.Add(time.Hour)
	if fin := fake.RunScheduledInvoices(); len(fin) != 1 || fin[0] != ids[0] || fake.SucceededCharges(ids[0]) != 1 {
		t.Fatalf("finalized %v, charges %d", fin, fake.SucceededCharges(ids[0]))
	}

	// Removing: a draft is deleted, a finalized open one voided, a gone one is fine, a paid
	// one is refused.
	if err := c.CancelPlanInvoice(ctx, ids[1], "plan-cancel-2"); err != nil {
		t.Fatal(err)
	}
	if _, ok := fake.Invoice(ids[1]); ok {
		t.Fatal("draft not deleted")
	}
	if err := c.CancelPlanInvoice(ctx, ids[1], "plan-cancel-2-again"); err != nil {
		t.Fatalf("removing a deleted draft: %v", err)
	}
	if err := c.CancelPlanInvoice(ctx, ids[0], "plan-cancel-1"); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Fatalf("removing a paid part: %v", err)
	}
	open := fake.CreateInvoice(stripefake.InvoiceParams{Customer: r.CustomerID, AmountDue: 100})
	if err := c.CancelPlanInvoice(ctx, open, "plan-cancel-open"); err != nil {
		t.Fatal(err)
	}
	if snap, _ := fake.Invoice(open); snap.Status != "void" {
		t.Fatalf("open invoice: %+v", snap)
	}
	parts, err = c.PlanParts(ctx, r.CustomerID, r.InvoiceID, since)
	if err != nil || len(parts) != 2 {
		t.Fatalf("parts after removal %+v %v", parts, err)
	}

	// A draft left without its amount gets only the item.
	p := part(3)
	p.IdempotencyKey, p.InvoiceID = "plan-part-3-item-again", ids[2]
	if id, err := c.CreatePlanInvoice(ctx, p); err != nil || id != ids[2] {
		t.Fatalf("item on the draft: %q %v", id, err)
	}
	if snap, _ := fake.Invoice(ids[2]); snap.AmountDue != 6000 {
		t.Fatalf("draft amount %d", snap.AmountDue)
	}
}

// Stripe refuses to settle an invoice that is paid already, and the client says so (EINVALID
// with Stripe's message) rather than pretending it settled.
func TestSettleOutOfBandRefusesAPaidInvoice(t *testing.T) {
	fake := startFake(t)
	r := failedRenewal(t, fake, stripefake.RenewalParams{})
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
	ctx := context.Background()
	if err := fake.PayByCustomer(r.InvoiceID, r.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	err := c.SettleOutOfBand(ctx, r.InvoiceID, "settle-1")
	if recoup.ErrorCode(err) != recoup.EINVALID || !strings.Contains(err.Error(), "Invoice is already paid") {
		t.Fatalf("settle a paid invoice: %v", err)
	}
	inv, err := c.Invoice(ctx, r.InvoiceID)
	if err != nil || inv.PaidOutOfBand || fake.SucceededCharges(r.InvoiceID) != 1 {
		t.Fatalf("invoice %+v %v", inv, err)
	}
	// An open one is settled, and the same key replays the success.
	r2 := failedRenewal(t, fake, stripefake.RenewalParams{})
	for range 2 {
		if err := c.SettleOutOfBand(ctx, r2.InvoiceID, "settle-2"); err != nil {
			t.Fatal(err)
		}
	}
	if inv, err := c.Invoice(ctx, r2.InvoiceID); err != nil || inv.Status != recoup.InvoicePaid || !inv.PaidOutOfBand {
		t.Fatalf("settled invoice %+v %v", inv, err)
	}
}
