package worlds

import (
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

var _ sim.Historian = (*Realistic)(nil)

// RecordTo makes the world keep Stripe's record of what it plays (the year before a run,
// sim.PlayPast): every charge, as Stripe's charge list shows it, and every invoice as it
// stands, as the invoice list shows it. Only what Stripe shows is written: ids, times, amounts,
// declines with their codes, the card's brand, funding and country, how the invoice ended.
func (w *Realistic) RecordTo(l *sim.Ledger) { w.ledger = l }

// recordInvoice writes the invoice as Stripe shows it now.
func (w *Realistic) recordInvoice(inv *invoice) {
	if w.ledger == nil {
		return
	}
	v := inv.view()
	h := recoup.HistoricalInvoice{
		ID: v.ID, Created: v.Created.Truncate(time.Second), CustomerID: v.CustomerID, SubscriptionID: v.SubscriptionID,
		Status: v.Status, Currency: v.Currency, AmountDue: v.AmountDue, AmountPaid: v.AmountPaid,
		AttemptCount: v.AttemptCount, BillingReason: v.BillingReason, CollectionMethod: v.CollectionMethod,
		PaidAt: v.PaidAt.Truncate(time.Second),
	}
	switch now := w.env.Now().Truncate(time.Second); inv.status {
	case recoup.InvoiceVoid:
		h.VoidedAt = now
	case recoup.InvoiceUncollectible:
		h.MarkedUncollectibleAt = now
	}
	w.ledger.Invoice(h)
}

// recordCharge writes the invoice's latest payment, a charge on card c, and the invoice.
func (w *Realistic) recordCharge(inv *invoice, c *card) {
	if w.ledger == nil {
		return
	}
	w.recordInvoice(inv)
	p := inv.last
	ch := recoup.HistoricalCharge{
		ID: "ch_" + strings.TrimPrefix(p.PaymentIntentID, "pi_"), Created: p.At.Truncate(time.Second),
		Amount: inv.amount, Currency: "usd", Status: "succeeded", CustomerID: inv.customer,
		PaymentIntentID: p.PaymentIntentID, PaymentMethodID: c.pm,
		CardBrand: c.brand, CardFunding: c.funding, CardCountry: c.country,
	}
	if p.Decline != nil {
		d := *p.Decline
		d.CardBrand, d.CardFunding, d.CardCountry = c.brand, c.funding, c.country
		ch.Status, ch.Decline = "failed", &d
	}
	w.ledger.Charge(inv.id, ch)
}
