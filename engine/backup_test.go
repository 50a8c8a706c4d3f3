package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// PaymentMethods makes the fake a recoup.BackupGateway: the customer's saved methods, as a
// test sets them; listErr, when set, is returned (and cleared).
func (g *fakeGateway) PaymentMethods(_ context.Context, customer string) ([]recoup.SavedMethod, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.listed++
	if err := g.listErr; err != nil {
		g.listErr = nil
		return nil, err
	}
	return append([]recoup.SavedMethod(nil), g.saved[customer]...), nil
}

const backupPolicy = testPolicy + `
backup_payment_method:
  types: [card, us_bank_account]
`

// saved is a customer's wallet: the card that failed (pm_old), the same card attached a second
// time, a SEPA debit the test policy does not allow, an expired card, and a second card.
var saved = []recoup.SavedMethod{
	{ID: "pm_old", Type: "card", Brand: "visa", Last4: "4242", Fingerprint: "fp_old", ExpYear: 2030, ExpMonth: 1},
	{ID: "pm_dup", Type: "card", Brand: "visa", Last4: "4242", Fingerprint: "fp_old", ExpYear: 2030, ExpMonth: 1},
	{ID: "pm_sepa", Type: "sepa_debit", Last4: "3000", Fingerprint: "fp_sepa"},
	{ID: "pm_gone", Type: "card", Brand: "mastercard", Last4: "4444", Fingerprint: "fp_gone", ExpYear: 2025, ExpMonth: 12},
	{ID: "pm_second", Type: "card", Brand: "mastercard", Last4: "5454", Fingerprint: "fp_second", ExpYear: 2029, ExpMonth: 6},
}

func (h *harness) charged(c recoup.Case) []string {
	var out []string
	for _, a := range h.attempts(c, recoup.SourceRecoup) {
		out = append(out, a.PaymentMethodID+"/"+string(a.Card)+"/"+string(a.Status))
	}
	return out
}

// A stolen card is never charged again; the policy's backup charges the customer's second card
// at once, skipping the failed card under both its ids, a type the policy does not allow and
// an expired card. The recovery is credited to the backup, and the subscription keeps its
// default (switch_default: never).
func TestBackupChargesSecondCardAfterHardDecline(t *testing.T) {
	h := newHarness(t, backupPolicy)
	h.gw.saved = map[string][]recoup.SavedMethod{"cus_1": saved}
	h.gw.failRenewal("in_1", "cus_1", 4200, stolen)
	h.gw.script("in_1", nil)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.wantState("in_1", recoup.StateRecovered)
	if c.RecoveredBy != recoup.ByBackupMethod {
		t.Errorf("recovered by %q, want %q", c.RecoveredBy, recoup.ByBackupMethod)
	}
	if got := strings.Join(h.charged(c), " "); got != "pm_second/backup/succeeded" {
		t.Errorf("charges = %s", got)
	}
	tl := dump(h.timeline(c))
	for _, want := range []string{"backup payment method on file: mastercard ending 5454 (pm_second)", "keeps its default payment method"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline does not say %q:\n%s", want, tl)
		}
	}
	for _, j := range h.pending() {
		if j.Kind == recoup.JobCardSwitch {
			t.Error("a card switch was queued although the policy says never")
		}
	}
}

// switch_default: on_success makes the backup that paid the subscription's default.
func TestBackupSwitchesDefaultWhenPolicySays(t *testing.T) {
	h := newHarness(t, testPolicy+"\nbackup_payment_method: {types: [card], switch_default: on_success}\n")
	h.gw.saved = map[string][]recoup.SavedMethod{"cus_1": saved}
	h.gw.failRenewal("in_1", "cus_1", 4200, stolen)
	h.gw.script("in_1", nil)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	h.wantState("in_1", recoup.StateRecovered)
	if len(h.gw.cardSwitches) != 1 || h.gw.cardSwitches[0].pm != "pm_second" {
		t.Errorf("card switches = %+v, want one to pm_second", h.gw.cardSwitches)
	}
}

// Each backup is tried once: a declined one leads to the next, and once none is left the case
// waits for the customer as it would have, without another charge of the stolen card.
func TestBackupDeclinedThenNoneLeft(t *testing.T) {
	h := newHarness(t, backupPolicy)
	wallet := append(append([]recoup.SavedMethod(nil), saved...), recoup.SavedMethod{ID: "pm_bank", Type: "us_bank_account", Brand: "STRIPE TEST BANK", Last4: "6789", Fingerprint: "fp_bank"})
	h.gw.saved = map[string][]recoup.SavedMethod{"cus_1": wallet}
	h.gw.failRenewal("in_1", "cus_1", 4200, stolen)
	h.gw.script("in_1", insufficient, errUnavailable)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.wantState("in_1", recoup.StateAwaitingCustomer)
	if got := strings.Join(h.charged(c), " "); got != "pm_second/backup/declined pm_bank/backup/error" {
		t.Errorf("charges = %s", got)
	}
	if c.Backup != recoup.BackupExhausted || c.LastDecline.DeclineCode != "stolen_card" {
		t.Errorf("backup %q, last decline %+v: want exhausted, and the stolen card's decline kept", c.Backup, c.LastDecline)
	}
	listed := h.gw.listed
	h.advance(20 * 24 * time.Hour)
	c = h.caseOf("in_1")
	if len(h.charged(c)) != 2 || h.gw.listed != listed {
		t.Errorf("after the wait: charges %v, listings %d (was %d): nothing more should be tried", h.charged(c), h.gw.listed, listed)
	}
}

// Off by default: the built-in rules never list the customer's methods.
func TestBackupOffByDefault(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.saved = map[string][]recoup.SavedMethod{"cus_1": saved}
	h.gw.failRenewal("in_1", "cus_1", 4200, stolen)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(20 * 24 * time.Hour)
	if h.gw.listed != 0 || len(h.charged(h.caseOf("in_1"))) != 0 {
		t.Errorf("listed %d times, charged %v: want nothing", h.gw.listed, h.charged(h.caseOf("in_1")))
	}
}

// A card whose retries are spent gets its backup before the final action.
func TestBackupAfterRetriesSpent(t *testing.T) {
	h := newHarness(t, backupPolicy)
	h.gw.saved = map[string][]recoup.SavedMethod{"cus_1": saved}
	h.gw.failRenewal("in_1", "cus_1", 4200, insufficient)
	h.gw.script("in_1", insufficient, insufficient, insufficient, insufficient, nil)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(20 * 24 * time.Hour)
	c := h.wantState("in_1", recoup.StateRecovered)
	ch := h.charged(c)
	if len(ch) != 5 || ch[4] != "pm_second/backup/succeeded" || c.RecoveredBy != recoup.ByBackupMethod {
		t.Errorf("charges = %v, recovered by %s", ch, c.RecoveredBy)
	}
}

// A crash between Stripe's answer and its record resumes with the same idempotency key: the
// backup is charged once, and its outcome recorded.
func TestBackupResumedAfterCrash(t *testing.T) {
	for _, outcome := range []any{nil, insufficient} {
		h := newHarness(t, backupPolicy)
		h.gw.saved = map[string][]recoup.SavedMethod{"cus_1": saved}
		h.gw.failRenewal("in_1", "cus_1", 4200, stolen)
		h.gw.script("in_1", outcome)
		crashed := false
		h.gw.afterPay = func(recoup.PayRequest) error {
			if !crashed {
				crashed = true
				panic(crash{})
			}
			return nil
		}
		h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
		j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
		if err := h.run(j); err != nil {
			t.Fatal(err)
		}
		j, _ = h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobAct })
		if !h.runCrashing(j) {
			t.Fatal("the process did not die")
		}
		h.wantState("in_1", recoup.StateRetrying)
		h.now = h.now.Add(time.Minute)
		if err := h.run(j); err != nil { // River's retry of the job
			t.Fatal(err)
		}
		c := h.caseOf("in_1")
		want := "pm_second/backup/succeeded"
		if outcome != nil {
			want = "pm_second/backup/declined"
		}
		if got := strings.Join(h.charged(c), " "); got != want {
			t.Errorf("charges = %s, want %s", got, want)
		}
		if outcome == nil && (h.gw.charges["in_1"] != 1 || c.RecoveredBy != recoup.ByBackupMethod) {
			t.Errorf("paid %d times, recovered by %s: want once, by the backup", h.gw.charges["in_1"], c.RecoveredBy)
		}
		if outcome != nil && (len(h.gw.calls) != 2 || h.gw.calls[0].IdempotencyKey != h.gw.calls[1].IdempotencyKey) {
			t.Errorf("calls %+v: the resumed charge must re-send the same key", h.gw.calls)
		}
	}
}

// A listing that fails is an error for the job queue to retry; nothing is recorded.
func TestBackupListingFails(t *testing.T) {
	h := newHarness(t, backupPolicy)
	h.gw.saved = map[string][]recoup.SavedMethod{"cus_1": saved}
	h.gw.listErr = errUnavailable
	h.gw.failRenewal("in_1", "cus_1", 4200, stolen)
	h.gw.script("in_1", nil)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	j, _ = h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobAct })
	if err := h.run(j); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
		t.Fatalf("err = %v, want EUNAVAILABLE", err)
	}
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	if c := h.wantState("in_1", recoup.StateRecovered); c.RecoveredBy != recoup.ByBackupMethod {
		t.Errorf("recovered by %s", c.RecoveredBy)
	}
}

// End to end against the stateful fake Stripe through the real client: the card keeps
// declining until its retries are spent, then the customer's second saved card (a SEPA debit
// the policy does not allow is passed over) pays the invoice, once, credited to the backup.
func TestBackupAgainstStripeFake(t *testing.T) {
	w := newPlanWorldWith(t, backupPolicy)
	w.fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: w.r.CustomerID, Type: "sepa_debit", Last4: "3000", Country: "DE"})
	second := w.fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: w.r.CustomerID, Brand: "mastercard", Last4: "5454"})
	w.advance(30 * 24 * time.Hour)
	c := w.wantState(w.r.InvoiceID, recoup.StateRecovered)
	if c.RecoveredBy != recoup.ByBackupMethod {
		t.Fatalf("recovered by %s\n%s", c.RecoveredBy, dump(w.timeline(c)))
	}
	snap, _ := w.fake.Invoice(w.r.InvoiceID)
	if snap.Status != "paid" || w.fake.SucceededCharges(w.r.InvoiceID) != 1 {
		t.Errorf("invoice %+v with %d successful charges", snap, w.fake.SucceededCharges(w.r.InvoiceID))
	}
	as := w.attempts(c, recoup.SourceRecoup)
	if last := as[len(as)-1]; last.PaymentMethodID != second || last.Card != recoup.CardBackup || last.Status != recoup.AttemptSucceeded {
		t.Errorf("last charge %+v, want the second card as a backup", last)
	}
}
