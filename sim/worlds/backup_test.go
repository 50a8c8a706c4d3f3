package worlds

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

// The second saved method: about the documented share of customers have one, drawn from its
// own stream (the other latents do not move), listed by PaymentMethods beside the card that
// failed, and charging it pays iff it is good, credited to backup_payment_method.
func TestBackupMethod(t *testing.T) {
	w, invs := drawInvoices(t, 4000, 4)
	with, good := 0, 0
	for _, inv := range invs {
		if inv.backup != nil {
			with++
			if inv.backupGood {
				good++
			}
		}
	}
	share := float64(with) / float64(len(invs))
	if math.Abs(share-w.p.Backup.Share) > 0.02 || math.Abs(float64(good)/float64(with)-w.p.Backup.Good) > 0.05 {
		t.Errorf("%d of %d with a backup (%d good): want shares near %.2f and %.2f", with, len(invs), good, w.p.Backup.Share, w.p.Backup.Good)
	}
	// The same draws without backups: nothing else moves.
	p := DefaultRealisticParams()
	p.Backup.Share = 0
	_, plain := drawInvoicesWith(t, p, 4000, 4)
	for i := range invs {
		a, b := invs[i], plain[i]
		if a.amount != b.amount || a.cat != b.cat || a.u != b.u || a.w != b.w || a.first != b.first || b.backup != nil {
			t.Fatalf("invoice %d differs once backups are drawn", i)
		}
	}

	w, env := startWorld(t, 400)
	ctx := context.Background()
	for _, wantGood := range []bool{true, false} {
		inv := find(t, w, func(i *invoice) bool {
			return quiet(i) && i.backup != nil && i.backupGood == wantGood && i.cat == recoup.CategoryHard
		})
		ms, err := w.PaymentMethods(ctx, inv.customer)
		if err != nil || len(ms) != 2 || ms[0].ID != inv.backup.pm || ms[1].ID != inv.cards[0].pm || ms[0].Fingerprint == ms[1].Fingerprint {
			t.Fatalf("payment methods of %s: %+v %v", inv.customer, ms, err)
		}
		res := pay(t, w, env, inv.id, env.now.Add(10*time.Minute), "backup-"+inv.id, inv.backup.pm)
		if res.Paid != wantGood {
			t.Fatalf("backup of %s (good %v) paid %v", inv.id, wantGood, res.Paid)
		}
		if o := env.outcomes[inv.id]; wantGood && (o.Result != sim.Recovered || o.By != sim.ByBackupMethod) {
			t.Errorf("outcome %+v, want recovered by the backup", o)
		}
		if !inv.oracle(&w.p).Recoverable && wantGood {
			t.Errorf("the oracle does not see the working backup of %s", inv.id)
		}
	}
	if ms, err := w.PaymentMethods(ctx, "cus_nobody"); err != nil || len(ms) != 0 {
		t.Errorf("unknown customer: %+v %v", ms, err)
	}
}
