package engine

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/policy"
)

// Backup payment methods (policy backup_payment_method). When a plan would wait for the
// customer or give up (the card that failed cannot be charged again, or its retries are spent),
// and the case's policy allows a backup, the plan is instead a backup action now. The action
// lists the customer's saved payment methods (recoup.BackupGateway), picks the newest one the
// policy allows that the case has not charged and that is not the failed card under another
// id, and charges it exactly like a retry: the attempt (card source "backup") and its
// idempotency key are recorded before the call, so a crash resumes it with the same key. A
// method is tried once per case; when none is left the case is marked (Case.Backup) and planned
// again, which gives the wait or the final action it would have had.

// backupDecision turns a wait or final decision into a backup action when the case may try one.
func (e *Engine) backupDecision(c *recoup.Case, d recoup.Decision, p *policy.Policy, now time.Time) (recoup.Decision, bool) {
	if d.Kind == recoup.DecideRetry || p.Observing() || p.Backup == nil || c.Backup != "" || c.NewPaymentMethodID != "" {
		return d, false
	}
	if _, ok := e.gw.(recoup.BackupGateway); !ok {
		return d, false
	}
	in := maps.Clone(d.Inputs)
	if in == nil {
		in = map[string]string{}
	}
	in["backup_payment_method"] = strings.Join(p.Backup.Types, ",")
	in["instead_of"] = string(d.Kind)
	why := "the card cannot be charged again"
	if d.Kind == recoup.DecideFinal {
		why = "recovery on the card is over"
	}
	return recoup.Decision{Kind: recoup.DecideRetry, At: now, Inputs: in,
		Reason: fmt.Sprintf("%s (%s); the policy allows a backup payment method on file (%s): charging one before anything else",
			why, d.Reason, strings.Join(p.Backup.Types, ", "))}, true
}

// backup runs a planned backup action: it charges a saved method, or marks the case as having
// none left and plans it again.
func (e *Engine) backup(ctx context.Context, now time.Time, c recoup.Case, seq int) error {
	bg, ok := e.gw.(recoup.BackupGateway)
	p := e.view(&c)
	if !ok || p.Backup == nil || p.Observing() {
		return e.noBackup(ctx, now, c.ID, seq, "the policy in force allows no backup payment method any more")
	}
	inv, open, err := e.checkOpen(ctx, now, c)
	if err != nil || !open {
		return err
	}
	if _, ok := e.gw.(recoup.PlanGateway); ok && settleable(inv, p) {
		return e.settle(ctx, now, c, seq) // paid in part meanwhile, a small rest left
	}
	if ok, err := e.takeOver(ctx, now, c); err != nil || !ok {
		return err
	}
	methods, err := bg.PaymentMethods(ctx, c.CustomerID)
	if err != nil {
		return fmt.Errorf("list payment methods of customer %s: %w", c.CustomerID, err)
	}
	attempts, err := e.store.Attempts(ctx, c.ID)
	if err != nil {
		return err
	}
	m, why := pickBackup(c, inv, attempts, methods, p, now)
	if m == nil {
		return e.noBackup(ctx, now, c.ID, seq, why)
	}
	return e.startCharge(ctx, now, c, seq, func(cur *recoup.Case, n int) chargeStart {
		return chargeStart{pm: m.ID, card: recoup.CardBackup,
			starting: fmt.Sprintf("charge %d starting on a backup payment method", n),
			summary:  fmt.Sprintf("charge %d of %s sent to Stripe on a backup payment method on file: %s (%s), %s", n, cur.Amount, m.Words(), m.ID, why),
			detail:   map[string]any{"mechanism": recoup.ByBackupMethod, "payment_method": m.ID, "payment_method_type": m.Type, "reason": why}}
	})
}

// noBackup marks the case as having no backup left, says why, and plans it again.
func (e *Engine) noBackup(ctx context.Context, now time.Time, caseID int64, seq int, why string) error {
	return e.store.Tx(ctx, func(stx recoup.Tx) error {
		tx := memo(stx)
		cur, err := planned(tx, caseID, seq, "")
		if err != nil {
			return err
		}
		cur.Backup = recoup.BackupExhausted
		if err := note(tx, &cur, now, recoup.EntryDecision, "no backup payment method charged: "+why,
			map[string]string{"backup_payment_method": string(recoup.BackupExhausted), "reason": why}); err != nil {
			return err
		}
		if err := e.plan(tx, &cur, now); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
}

// pickBackup is the saved method a backup charge names, newest first, with the reason it may be
// charged; nil and why not when there is none. A method is left out when the policy does not
// allow its type, the case has charged it (any outcome: each is tried once), it is the card
// that failed (by id, or by fingerprint: the same card attached twice), a card expired by now,
// or the network guard forbids charging it now.
func pickBackup(c recoup.Case, inv recoup.Invoice, attempts []recoup.Attempt, methods []recoup.SavedMethod, p *policy.Policy, now time.Time) (*recoup.SavedMethod, string) {
	used := map[string]bool{c.PaymentMethodID: true, c.NewPaymentMethodID: true}
	if lp := inv.LastPayment; lp != nil {
		used[lp.PaymentMethodID] = true
	}
	for _, a := range attempts {
		used[a.PaymentMethodID] = true
	}
	delete(used, "")
	prints := map[string]bool{}
	for _, m := range methods {
		if used[m.ID] && m.Fingerprint != "" {
			prints[m.Fingerprint] = true
		}
	}
	var skipped []string
	for i := range methods {
		m := &methods[i]
		switch {
		case !p.Backup.Allows(m.Type):
			skipped = append(skipped, m.Words()+": type "+m.Type+" not allowed by the policy")
		case used[m.ID]:
			skipped = append(skipped, m.Words()+": already charged for this invoice")
		case m.Fingerprint != "" && prints[m.Fingerprint]:
			skipped = append(skipped, m.Words()+": the same card as one already charged")
		case m.ExpYear > 0 && (m.ExpYear < now.Year() || m.ExpYear == now.Year() && m.ExpMonth < int(now.Month())):
			skipped = append(skipped, m.Words()+": expired")
		default:
			if at, rule, ok := decline.Guard(ledgerOf(c, attempts, m.ID), m.Brand, c.Amount.Amount, now, p.Network); !ok || at.After(now) {
				skipped = append(skipped, m.Words()+": network guard: "+rule)
				continue
			}
			return m, "the policy allows " + m.Type
		}
	}
	if len(methods) == 0 {
		return nil, "the customer has no payment method on file with Stripe"
	}
	return nil, fmt.Sprintf("none of the customer's %d saved payment methods may be charged (%s)", len(methods), strings.Join(skipped, "; "))
}

// ledgerOf is every attempt of the case on payment method pm: the network guard counts per card.
func ledgerOf(c recoup.Case, attempts []recoup.Attempt, pm string) []decline.LedgerEntry {
	var out []decline.LedgerEntry
	for _, a := range attempts {
		if a.PaymentMethodID == pm {
			out = append(out, decline.LedgerEntry{At: a.StartedAt, Amount: c.Amount.Amount, Currency: c.Amount.Currency,
				Succeeded: a.Status == recoup.AttemptSucceeded, Decline: a.Decline, ByRecoup: a.Source == recoup.SourceRecoup})
		}
	}
	return out
}
