package worlds

import (
	"context"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

// The ledger a world keeps is what Stripe's listings would show of what it played: every
// invoice with each of its payments, in order, each charge with the decline the world gave
// (codes and card), and the invoice as it ended.
func TestLedgerListsWhatTheWorldPlayed(t *testing.T) {
	cfg := year
	cfg.Invoices, cfg.Seed, cfg.StripeRecovery = 500, 3, true
	env := newFakeEnv(t, cfg)
	w := NewRealistic()
	l := sim.NewLedger()
	w.RecordTo(l)
	type paid struct {
		pm     string
		status string
		code   string
	}
	played := map[string][]paid{} // the payments of each invoice, as the world made them
	final := map[string]*invoice{}
	env.onEvent = func(ev recoup.Event) {
		inv := w.active[ev.ObjectID]
		if inv == nil {
			if tb := w.tombs[ev.ObjectID]; tb != nil && tb.view.Status == recoup.InvoicePaid {
				played[ev.ObjectID] = append(played[ev.ObjectID], paid{pm: tb.view.LastPayment.PaymentMethodID, status: "succeeded"})
			}
			return
		}
		final[inv.id] = inv
		if ev.Type == "invoice.payment_failed" && inv.last.Decline != nil {
			played[inv.id] = append(played[inv.id], paid{pm: inv.last.PaymentMethodID, status: "failed", code: inv.last.Decline.DeclineCode})
		}
	}
	if err := w.Start(env); err != nil {
		t.Fatal(err)
	}
	env.run(nil)

	ctx := context.Background()
	charges := map[string]recoup.HistoricalCharge{}
	for ch, err := range l.Charges(ctx, cfg.Start.Add(-day), "") {
		if err != nil {
			t.Fatal(err)
		}
		charges[ch.PaymentIntentID] = ch
	}
	n := 0
	for inv, err := range l.Invoices(ctx, cfg.Start.Add(-day), "") {
		if err != nil {
			t.Fatal(err)
		}
		n++
		want := played[inv.ID]
		if len(inv.PaymentIntentIDs) != inv.AttemptCount || len(want) > inv.AttemptCount {
			t.Fatalf("%s: %d payments listed, attempt count %d, %d played", inv.ID, len(inv.PaymentIntentIDs), inv.AttemptCount, len(want))
		}
		first := charges[inv.PaymentIntentIDs[0]]
		if first.Status != "failed" || first.Decline == nil || first.Decline.Code == "" || first.CardBrand == "" || first.CardCountry == "" {
			t.Fatalf("%s: first charge %+v", inv.ID, first)
		}
		last := charges[inv.PaymentIntentIDs[len(inv.PaymentIntentIDs)-1]]
		switch inv.Status {
		case recoup.InvoicePaid:
			if last.Status != "succeeded" || inv.PaidAt.IsZero() || inv.AmountPaid != inv.AmountDue {
				t.Fatalf("%s: paid, last charge %+v, paid at %s", inv.ID, last, inv.PaidAt)
			}
		case recoup.InvoiceVoid:
			if inv.VoidedAt.IsZero() || last.Status == "succeeded" {
				t.Fatalf("%s: void at %s, last charge %s", inv.ID, inv.VoidedAt, last.Status)
			}
		default:
			t.Fatalf("%s: %s after every window ended", inv.ID, inv.Status)
		}
		if wi := final[inv.ID]; wi != nil && wi.customer != inv.CustomerID {
			t.Fatalf("%s: customer %s, world's %s", inv.ID, inv.CustomerID, wi.customer)
		}
		// Every failed payment the world reported is a failed charge with its decline code,
		// in order.
		k := 0
		for _, pi := range inv.PaymentIntentIDs {
			ch := charges[pi]
			if ch.Status != "failed" {
				continue
			}
			for k < len(want) && want[k].status != "failed" {
				k++
			}
			if k < len(want) && (want[k].pm != ch.PaymentMethodID || want[k].code != ch.Decline.DeclineCode) {
				t.Fatalf("%s: charge %s is %s %s, the world played %+v", inv.ID, ch.ID, ch.PaymentMethodID, ch.Decline.DeclineCode, want[k])
			}
			k++
		}
	}
	if n != cfg.Invoices {
		t.Fatalf("%d invoices listed, %d played", n, cfg.Invoices)
	}
}
