package worlds

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

// Backup payment methods: some customers keep a second payment method on file with Stripe (a
// second card), which a policy with backup_payment_method may charge once the card that failed
// cannot be charged again. Whether a customer has one, its brand and whether it works are
// drawn from the invoice's own hashed stream (streamBackup), so the draws of every other
// latent, and hence every run without backups, are the same as before.

// BackupParams: a second saved payment method.
type BackupParams struct {
	// Share of customers with a second payment method saved on file. No public figure of the
	// share of subscription customers with more than one saved method was found: an assumption
	// (docs/simulator-realistic.md).
	Share float64
	// Good is the share of those second methods that pay when charged (a card used less often:
	// some are expired or closed, some short of funds as well). An assumption.
	Good float64
}

// streamBackup: once per invoice, the customer's second saved method (index 0: has one, 1:
// works, 2: brand).
const streamBackup = 6

// drawBackup gives the invoice's customer a second saved card, or none.
func (inv *invoice) drawBackup(p *RealisticParams) {
	if p.Backup.Share <= 0 || inv.uniform(streamBackup, 0) >= p.Backup.Share {
		return
	}
	failed := inv.cards[0]
	inv.backup = &card{pm: "pm_" + inv.tag + "_backup", brand: hashedPick(inv.uniform(streamBackup, 2), p.Brands),
		funding: "credit", country: failed.country, backup: true}
	if inv.backup.brand == "discover" && inv.country != "US" {
		inv.backup.brand = "visa"
	}
	inv.backupGood = inv.uniform(streamBackup, 1) < p.Backup.Good
}

// hashedPick is the weighted option at u in [0, 1).
func hashedPick[T any](u float64, opts []Weighted[T]) T {
	var zero T
	total := 0.0
	for _, o := range opts {
		total += o.W
	}
	x := u * total
	for _, o := range opts {
		if x < o.W {
			return o.V
		}
		x -= o.W
	}
	if len(opts) > 0 {
		return opts[len(opts)-1].V
	}
	return zero
}

// PaymentMethods lists the customer's saved payment methods, newest first, as Stripe would
// (recoup.BackupGateway): the replacement card if they supplied one, the second saved card if
// they have one, and the card that failed. Each card's fingerprint is its own.
func (w *Realistic) PaymentMethods(_ context.Context, customerID string) ([]recoup.SavedMethod, error) {
	inv := w.live(w.byCustomer[customerID])
	if inv == nil {
		return nil, nil
	}
	var out []recoup.SavedMethod
	for i := len(inv.cards) - 1; i >= 1; i-- {
		out = append(out, savedOf(inv.cards[i]))
	}
	if inv.backup != nil {
		out = append(out, savedOf(inv.backup))
	}
	return append(out, savedOf(inv.cards[0])), nil
}

func savedOf(c *card) recoup.SavedMethod {
	return recoup.SavedMethod{ID: c.pm, Type: "card", Brand: c.brand, Last4: "4242", Fingerprint: "fp_" + c.pm}
}

var _ recoup.BackupGateway = (*Realistic)(nil)

// byBackup is a charge recoup made on the second payment method the customer keeps on file.
const byBackup = sim.ByBackupMethod
