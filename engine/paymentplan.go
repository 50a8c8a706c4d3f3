package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// planLead puts a plan's first part a little ahead of now: Stripe finalizes (and then charges)
// an invoice only at a time in the future.
const planLead = time.Hour

// planClosedReason starts the closed reason of a case whose invoice a payment plan replaced:
// it marks that the invoice was settled, the point after which the plan only goes forward.
const planClosedReason = "replaced by a payment plan"

// defaultPlanEvery spaces the parts when the policy no longer says (it changed after the
// invoice was settled).
const defaultPlanEvery = 30 * 24 * time.Hour

// StartPaymentPlan replaces the case's unpaid invoice by the payment plan its segment allows,
// in an order that never lets the customer pay twice:
//
//  1. the case is held (state planning, its planned action dropped) in one transaction before
//     any call to Stripe: no retry, message or final action of recoup's runs meanwhile, and a
//     charge already in flight makes the plan refuse to start;
//  2. the parts are created as drafts Stripe leaves alone (auto_advance false), marked with
//     metadata recoup_plan_of (the invoice) and recoup_plan_part ("n/N");
//  3. the original invoice is settled out of band; Stripe refuses if it was paid meanwhile (by
//     the customer, by Stripe's retry), and then the parts are removed and the case recovered;
//  4. only then is the case closed as replaced, and each part turned on (auto_advance, the
//     first due in an hour, the next ones the plan's interval apart). When one fails, recoup
//     opens a case for it like for any other.
//
// A plan that cannot go ahead with the invoice still open removes its parts and leaves the case
// paused (exhausted if its final action had run). Every Stripe call carries a key derived from
// the case and the parts are found again by their metadata, so running it again after a crash
// or an error at any step finishes the plan, or the removal of its parts, without creating
// anything twice. An error says what was created, removed, and left. who is the operator who
// agreed the plan with the customer.
func (e *Engine) StartPaymentPlan(ctx context.Context, now time.Time, caseID int64, who string) ([]string, error) {
	if who == "" {
		return nil, recoup.Errorf(recoup.EINVALID, "payment plan for case %d: say who agreed it", caseID)
	}
	c, err := e.store.Case(ctx, caseID)
	if err != nil {
		return nil, fmt.Errorf("payment plan for case %d: %w", caseID, err)
	}
	p := e.view(&c)
	if p.Observing() {
		return nil, recoup.Errorf(recoup.ECONFLICT, "payment plan for case %d: the policy is in observe-only mode", caseID)
	}
	pg, ok := e.gw.(recoup.PlanGateway)
	if !ok {
		return nil, recoup.Errorf(recoup.EINVALID, "payment plan for case %d: the gateway cannot create invoices", caseID)
	}
	r := &planRun{e: e, pg: pg, now: now, who: who, p: p}
	ids, err := r.run(ctx, c)
	if err != nil {
		return ids, fmt.Errorf("payment plan for case %d: %w", caseID, err)
	}
	return ids, nil
}

// planRun is one run of StartPaymentPlan.
type planRun struct {
	e   *Engine
	pg  recoup.PlanGateway
	now time.Time
	who string
	p   *policy.Policy
}

func (r *planRun) run(ctx context.Context, c recoup.Case) ([]string, error) {
	switch {
	case c.State == recoup.StateRetrying:
		return nil, recoup.Errorf(recoup.ECONFLICT, "a charge is in flight; wait for its outcome")
	case c.State == recoup.StateClosed && strings.HasPrefix(c.ClosedReason, planClosedReason):
		return r.turnOn(ctx, c, false) // settled already: finish turning the parts on
	case c.State.Terminal():
		return nil, r.removeLeftovers(ctx, c)
	case c.State != recoup.StatePlanning:
		// Refuse a plan the invoice does not allow before holding the case for it.
		inv, open, err := r.e.checkOpen(ctx, r.now, c)
		if err != nil {
			return nil, err
		}
		if !open {
			return nil, recoup.Errorf(recoup.ECONFLICT, "invoice %s is %s", c.InvoiceID, inv.Status)
		}
		if _, err := r.p.PlanParts(inv.Remaining(), r.now.Add(planLead)); err != nil {
			return nil, err
		}
	}
	c, err := r.hold(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	found, err := r.pg.PlanParts(ctx, c.CustomerID, c.InvoiceID, c.CreatedAt.Add(-24*time.Hour))
	if err != nil {
		return nil, held(err)
	}
	inv, err := r.e.gw.Invoice(ctx, c.InvoiceID)
	if err != nil {
		return nil, held(fmt.Errorf("read invoice %s: %w", c.InvoiceID, err))
	}
	switch {
	case inv.Status == recoup.InvoicePaid && inv.PaidOutOfBand && len(live(found)) > 0:
		// Perhaps by this plan's settlement, whose answer an earlier run did not get: sending
		// it again with the same key replays Stripe's first answer.
		ids := idsOf(live(found))
		if err := r.settle(ctx, c, ids); err != nil {
			return ids, err
		}
		return r.turnOn(ctx, c, true)
	case inv.Status == recoup.InvoicePaid || inv.Status == recoup.InvoiceVoid:
		return nil, r.giveUp(ctx, c, inv, idsOf(live(found)), nil)
	}
	planned, err := r.p.PlanParts(inv.Remaining(), r.now.Add(planLead))
	if err != nil {
		return nil, r.abandon(ctx, c, idsOf(live(found)), err)
	}
	ids, err := r.createParts(ctx, c, inv, planned, found)
	if err != nil {
		if recoup.ErrorCode(err) == recoup.EUNAVAILABLE {
			return ids, held(fmt.Errorf("create the plan's invoices (so far %s): %w", list(ids), err))
		}
		return ids, r.abandon(ctx, c, r.partsNow(ctx, c, found, ids), err)
	}
	if err := r.settle(ctx, c, ids); err != nil {
		return ids, err
	}
	return r.turnOn(ctx, c, true)
}

// hold moves the case to planning in one transaction, before any call to Stripe: its planned
// action is dropped and the plan sequence moves on, so a queued act job finds nothing to do,
// and messages stop. A case already planning (a run that stopped half-way) stays so.
func (r *planRun) hold(ctx context.Context, caseID int64) (recoup.Case, error) {
	var c recoup.Case
	err := r.e.store.Tx(ctx, func(tx recoup.Tx) error {
		var err error
		if c, err = tx.Case(caseID); err != nil {
			return err
		}
		switch {
		case c.State == recoup.StatePlanning:
			return note(tx, &c, r.now, recoup.EntryAction, "payment plan continued by "+r.who, map[string]string{"by": r.who})
		case c.State == recoup.StateRetrying:
			return recoup.Errorf(recoup.ECONFLICT, "a charge is in flight; wait for its outcome")
		case !c.State.CanTransition(recoup.StatePlanning):
			return recoup.Errorf(recoup.ECONFLICT, "the case is %s", c.State)
		}
		var dropped any
		if c.NextAction != nil {
			dropped = *c.NextAction
		}
		c.NextAction = nil
		c.PlanSeq++
		reason := fmt.Sprintf("payment plan agreed by %s (%s): recovery held while its invoices are set up", r.who, r.p.PaymentPlan)
		if err := note(tx, &c, r.now, recoup.EntryAction, reason, map[string]any{"by": r.who, "segment": r.p.Segment,
			"policy_version": r.p.Version, "dropped_action": dropped}); err != nil {
			return err
		}
		if err := transition(tx, &c, recoup.StatePlanning, r.now, reason); err != nil {
			return err
		}
		return tx.UpdateCase(&c)
	})
	return c, err
}

// createParts makes sure the plan's parts exist as drafts with their amounts: a part found by
// its metadata is kept (a draft without its amount gets it), a part of another plan (the policy
// changed between runs) is removed, a missing one is created. It returns the parts' ids in
// order; on an error, those that exist so far.
func (r *planRun) createParts(ctx context.Context, c recoup.Case, inv recoup.Invoice, planned []policy.PlanPart, found []recoup.PlanPart) ([]string, error) {
	keep := map[int]recoup.PlanPart{}
	var stray []string
	for _, f := range live(found) {
		_, dup := keep[f.N]
		fits := f.Of == len(planned) && f.N >= 1 && f.N <= len(planned) && f.Currency == inv.Currency &&
			f.Status == recoup.InvoiceDraft && (f.Amount == 0 || f.Amount == planned[f.N-1].Amount)
		if fits && !dup {
			keep[f.N] = f
		} else {
			stray = append(stray, f.ID)
		}
	}
	if len(stray) > 0 {
		if _, left, err := r.cancel(ctx, c, stray); err != nil {
			return nil, fmt.Errorf("remove the invoices of an earlier plan (%s left): %w", list(left), err)
		}
	}
	ids := make([]string, 0, len(planned))
	for _, part := range planned {
		f, ok := keep[part.N]
		if ok && f.Amount == part.Amount {
			ids = append(ids, f.ID)
			continue
		}
		pi := recoup.PlanInvoice{
			CustomerID: c.CustomerID, Amount: part.Amount, Currency: inv.Currency, InvoiceID: f.ID,
			Description: fmt.Sprintf("Part %d of %d of invoice %s", part.N, len(planned), c.InvoiceID),
			Metadata:    map[string]string{"recoup_plan_of": c.InvoiceID, "recoup_plan_part": fmt.Sprintf("%d/%d", part.N, len(planned))},
			// The key names the part fully (how many parts, which, how much), so a plan changed
			// between runs never meets the key of another part.
			IdempotencyKey: fmt.Sprintf("recoup-case-%d-%s-plan-%d-part-%d-%d", c.ID, c.InvoiceID, len(planned), part.N, part.Amount),
		}
		id, err := r.pg.CreatePlanInvoice(ctx, pi)
		if id != "" {
			ids = append(ids, id)
		}
		if err != nil {
			return ids, fmt.Errorf("part %d: %w", part.N, err)
		}
	}
	return ids, nil
}

// settle marks the original invoice paid out of band, then closes the case as replaced. If
// Stripe refuses because the invoice was paid or voided meanwhile, the parts are removed and
// the case follows the invoice. When the outcome is unknown the case stays held for a re-run,
// which sends the same key: Stripe then replays the first answer.
func (r *planRun) settle(ctx context.Context, c recoup.Case, ids []string) error {
	serr := r.pg.SettleOutOfBand(ctx, c.InvoiceID, fmt.Sprintf("recoup-case-%d-%s-plan-settle", c.ID, c.InvoiceID))
	if serr != nil {
		inv, err := r.e.gw.Invoice(ctx, c.InvoiceID)
		switch {
		case err != nil:
			return held(fmt.Errorf("settle invoice %s: %w (and it could not be read again: %v)", c.InvoiceID, serr, err))
		case inv.Status == recoup.InvoicePaid && !inv.PaidOutOfBand, inv.Status == recoup.InvoiceVoid:
			// Paid by a charge (the customer, Stripe's retry) or voided: not by this settlement.
			return r.giveUp(ctx, c, inv, ids, serr)
		case recoup.ErrorCode(serr) == recoup.EUNAVAILABLE:
			return held(fmt.Errorf("settle invoice %s: %w", c.InvoiceID, serr))
		case inv.Status == recoup.InvoicePaid:
			// Paid out of band, and Stripe refused this settlement: someone marked it paid.
			return r.giveUp(ctx, c, inv, ids, serr)
		}
		return r.abandon(ctx, c, ids, fmt.Errorf("settle invoice %s: %w", c.InvoiceID, serr))
	}
	return r.e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := tx.Case(c.ID)
		if err != nil {
			return err
		}
		summary := fmt.Sprintf("invoice %s settled outside Stripe: replaced by the payment plan's %d invoices (%s)", c.InvoiceID, len(ids), list(ids))
		if err := note(tx, &cur, r.now, recoup.EntryAction, summary, map[string]any{"payment_plan": ids, "by": r.who}); err != nil {
			return err
		}
		reason := planClosedReason + ": " + list(ids)
		if err := transition(tx, &cur, recoup.StateClosed, r.now, reason); err != nil {
			return err
		}
		cur.ClosedReason = reason
		return tx.UpdateCase(&cur)
	})
}

// turnOn lets Stripe finalize and charge each part still a draft it leaves alone: the first
// part an hour after the parts were created (or from now, if that has passed), each next one
// the plan's interval later. first says the invoice was settled by this run; a later run with
// nothing left to turn on is refused.
func (r *planRun) turnOn(ctx context.Context, c recoup.Case, first bool) ([]string, error) {
	found, err := r.pg.PlanParts(ctx, c.CustomerID, c.InvoiceID, c.CreatedAt.Add(-24*time.Hour))
	if err != nil {
		return nil, afterSettle(err)
	}
	parts := live(found)
	ids := idsOf(parts)
	if len(parts) == 0 {
		return nil, recoup.Errorf(recoup.ECONFLICT, "the case is closed (%s) and no invoice of its plan is left in Stripe", c.ClosedReason)
	}
	base := parts[0].Created
	for _, part := range parts {
		if part.Created.Before(base) {
			base = part.Created
		}
	}
	every := defaultPlanEvery
	if r.p.PaymentPlan != nil {
		every = r.p.PaymentPlan.Every
	}
	var on []string
	for _, part := range parts {
		if part.Status != recoup.InvoiceDraft || part.AutoAdvance {
			continue
		}
		at := later(base.Add(planLead+time.Duration(max(part.N-1, 0))*every), r.now.Add(planLead))
		key := fmt.Sprintf("recoup-case-%d-%s-plan-on-%s-%d", c.ID, c.InvoiceID, part.ID, at.Unix())
		if err := r.pg.SchedulePlanInvoice(ctx, part.ID, at, key); err != nil {
			if len(on) > 0 {
				err = fmt.Errorf("%w (turned on: %s)", err, strings.Join(on, ", "))
			}
			return ids, afterSettle(fmt.Errorf("turn on invoice %s: %w", part.ID, err))
		}
		on = append(on, fmt.Sprintf("%s due %s", part.ID, at.UTC().Format(time.DateTime+" UTC")))
	}
	if len(on) == 0 {
		if first {
			return ids, nil
		}
		return nil, recoup.Errorf(recoup.ECONFLICT, "the invoice is already replaced by a payment plan: %s", list(ids))
	}
	err = r.e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := tx.Case(c.ID)
		if err != nil {
			return err
		}
		if err := note(tx, &cur, r.now, recoup.EntryAction, "payment plan's invoices turned on: "+strings.Join(on, ", "), map[string]any{"payment_plan": ids}); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
	if err != nil {
		return ids, afterSettle(err)
	}
	return ids, nil
}

// giveUp ends a plan whose invoice was paid or voided before it was settled: the parts are
// removed and the case follows the invoice (recovered or closed). The error reports it, with
// the parts removed and any left (a re-run removes those).
func (r *planRun) giveUp(ctx context.Context, c recoup.Case, inv recoup.Invoice, ids []string, cause error) error {
	removed, left, cerr := r.cancel(ctx, c, ids)
	status := string(inv.Status)
	if inv.Status == recoup.InvoicePaid && inv.PaidOutOfBand {
		status = "paid outside Stripe"
	}
	what := fmt.Sprintf("invoice %s was %s before the payment plan replaced it", c.InvoiceID, status)
	err := r.e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := tx.Case(c.ID)
		if err != nil {
			return err
		}
		if err := note(tx, &cur, r.now, recoup.EntryAction, "payment plan given up: "+what+partsSummary(removed, left),
			map[string]any{"removed": removed, "left": left, "by": r.who}); err != nil {
			return err
		}
		if !cur.State.Terminal() {
			src := Source{EventType: "invoice check during a payment plan"}
			switch inv.Status {
			case recoup.InvoicePaid:
				err = r.e.recovered(tx, &cur, r.now, inv, src, nil)
			default:
				err = r.e.close(tx, &cur, r.now, "the invoice was voided")
			}
			if err != nil {
				return err
			}
		}
		return tx.UpdateCase(&cur)
	})
	if err != nil {
		return fmt.Errorf("%s; record it: %w", what, err)
	}
	msg := what + ": nothing to replace" + partsSummary(removed, left)
	if cause != nil {
		msg += " (Stripe: " + cause.Error() + ")"
	}
	if cerr != nil {
		return recoup.Errorf(recoup.ErrorCode(cerr), "%s; run the plan again to remove what is left: %v", msg, cerr)
	}
	return recoup.Errorf(recoup.ECONFLICT, "%s", msg)
}

// abandon ends a plan that cannot go ahead while the invoice is still open: the parts are
// removed and the case is paused for the operator (exhausted again if its final action had
// run). If a part cannot be removed the case stays held, so that a re-run tries again.
func (r *planRun) abandon(ctx context.Context, c recoup.Case, ids []string, cause error) error {
	removed, left, cerr := r.cancel(ctx, c, ids)
	if cerr != nil {
		return recoup.Errorf(recoup.ErrorCode(cause), "%v; the case stays held%s; run the plan again to remove what is left: %v",
			cause, partsSummary(removed, left), cerr)
	}
	to := recoup.StatePaused
	if c.FinalAction != "" {
		to = recoup.StateExhausted
	}
	err := r.e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := tx.Case(c.ID)
		if err != nil {
			return err
		}
		if cur.State != recoup.StatePlanning {
			return nil // the invoice was paid or voided meanwhile: the observation decided
		}
		why := fmt.Sprintf("payment plan given up: %v%s", cause, partsSummary(removed, nil))
		if err := note(tx, &cur, r.now, recoup.EntryAction, why, map[string]any{"removed": removed, "by": r.who}); err != nil {
			return err
		}
		if err := transition(tx, &cur, to, r.now, why); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
	if err != nil {
		return fmt.Errorf("%v; record it: %w", cause, err)
	}
	return recoup.Errorf(recoup.ErrorCode(cause), "%v; the plan is given up%s, and the case is %s", cause, partsSummary(removed, nil), to)
}

// removeLeftovers removes the parts of a plan given up whose removal failed, once the case is
// resolved. With none left, there is nothing to do for a resolved case.
func (r *planRun) removeLeftovers(ctx context.Context, c recoup.Case) error {
	found, err := r.pg.PlanParts(ctx, c.CustomerID, c.InvoiceID, c.CreatedAt.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	ids := idsOf(live(found))
	if len(ids) == 0 {
		return recoup.Errorf(recoup.ECONFLICT, "the case is %s", c.State)
	}
	removed, left, cerr := r.cancel(ctx, c, ids)
	if len(removed) > 0 {
		err := r.e.store.Tx(ctx, func(tx recoup.Tx) error {
			cur, err := tx.Case(c.ID)
			if err != nil {
				return err
			}
			if err := note(tx, &cur, r.now, recoup.EntryAction, "payment plan given up earlier"+partsSummary(removed, left),
				map[string]any{"removed": removed, "left": left, "by": r.who}); err != nil {
				return err
			}
			return tx.UpdateCase(&cur)
		})
		if err != nil {
			return err
		}
	}
	msg := fmt.Sprintf("the case is %s: nothing to replace%s", c.State, partsSummary(removed, left))
	if cerr != nil {
		return recoup.Errorf(recoup.ErrorCode(cerr), "%s; run the plan again to remove what is left: %v", msg, cerr)
	}
	return recoup.Errorf(recoup.ECONFLICT, "%s", msg)
}

// cancel removes the parts, going on past a failure; it reports the ones removed, the ones
// left, and the first error.
func (r *planRun) cancel(ctx context.Context, c recoup.Case, ids []string) (removed, left []string, err error) {
	for _, id := range ids {
		cerr := r.pg.CancelPlanInvoice(ctx, id, fmt.Sprintf("recoup-case-%d-%s-plan-cancel-%s", c.ID, c.InvoiceID, id))
		if cerr != nil {
			left = append(left, id)
			err = cmp.Or(err, fmt.Errorf("remove invoice %s: %w", id, cerr))
			continue
		}
		removed = append(removed, id)
	}
	return removed, left, err
}

// partsNow is every part known to exist: found before the run, or created by it.
func (r *planRun) partsNow(ctx context.Context, c recoup.Case, found []recoup.PlanPart, created []string) []string {
	if again, err := r.pg.PlanParts(ctx, c.CustomerID, c.InvoiceID, c.CreatedAt.Add(-24*time.Hour)); err == nil {
		found = again
	}
	ids := idsOf(live(found))
	for _, id := range created {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// live drops the parts Stripe shows void, and orders the others by part number.
func live(parts []recoup.PlanPart) []recoup.PlanPart {
	out := slices.DeleteFunc(slices.Clone(parts), func(p recoup.PlanPart) bool { return p.Status == recoup.InvoiceVoid })
	slices.SortFunc(out, func(a, b recoup.PlanPart) int { return cmp.Or(cmp.Compare(a.N, b.N), cmp.Compare(a.ID, b.ID)) })
	return out
}

func idsOf(parts []recoup.PlanPart) []string {
	ids := make([]string, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	return ids
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func partsSummary(removed, left []string) string {
	s := ""
	if len(removed) > 0 {
		s += "; the plan's invoices " + strings.Join(removed, ", ") + " were removed"
	}
	if len(left) > 0 {
		s += "; invoices " + strings.Join(left, ", ") + " could not be removed and remain in Stripe as drafts nothing charges"
	}
	return s
}

// held says the case stays held for the plan, which a re-run continues.
func held(err error) error {
	return fmt.Errorf("%w; the case stays held and nothing is charged: run the plan again to finish", err)
}

// afterSettle says the invoice is settled and the plan must be finished by a re-run.
func afterSettle(err error) error {
	return fmt.Errorf("%w; the invoice is settled and the case closed, but not every invoice of the plan is turned on: run the plan again to finish", err)
}
