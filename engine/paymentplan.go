package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// planLead puts a plan's first part a little ahead of now: Stripe finalizes (and then charges)
// an invoice only at a time in the future.
const planLead = time.Hour

// StartPaymentPlan replaces the case's unpaid invoice by the payment plan its segment allows:
// one new invoice per part (the first due at once, the next ones the plan's interval apart),
// then the original invoice settled out of band, and the case closed with the parts named. Each
// part is an ordinary charge_automatically invoice: when one fails, recoup opens a case for it
// like for any other. who is the operator who agreed the plan with the customer. Every Stripe
// call carries a key derived from the case, so a re-run after a failure creates nothing twice.
func (e *Engine) StartPaymentPlan(ctx context.Context, now time.Time, caseID int64, who string) ([]string, error) {
	if who == "" {
		return nil, recoup.Errorf(recoup.EINVALID, "payment plan for case %d: say who agreed it", caseID)
	}
	c, err := e.store.Case(ctx, caseID)
	if err != nil {
		return nil, fmt.Errorf("payment plan for case %d: %w", caseID, err)
	}
	if !c.State.Active() && c.State != recoup.StateExhausted {
		return nil, recoup.Errorf(recoup.ECONFLICT, "payment plan for case %d: the case is %s", caseID, c.State)
	}
	p := e.Policy().For(c.Segment)
	if p.Observing() {
		return nil, recoup.Errorf(recoup.ECONFLICT, "payment plan for case %d: the policy is in observe-only mode", caseID)
	}
	pg, ok := e.gw.(recoup.PlanGateway)
	if !ok {
		return nil, recoup.Errorf(recoup.EINVALID, "payment plan for case %d: the gateway cannot create invoices", caseID)
	}
	inv, open, err := e.checkOpen(ctx, now, c)
	if err != nil {
		return nil, fmt.Errorf("payment plan for case %d: %w", caseID, err)
	}
	if !open {
		return nil, recoup.Errorf(recoup.ECONFLICT, "payment plan for case %d: invoice %s is %s", caseID, c.InvoiceID, inv.Status)
	}
	parts, err := p.PlanParts(inv.Remaining(), now.Add(planLead))
	if err != nil {
		return nil, fmt.Errorf("payment plan for case %d: %w", caseID, err)
	}
	ids := make([]string, len(parts))
	for i, part := range parts {
		ids[i], err = pg.CreatePlanInvoice(ctx, recoup.PlanInvoice{
			CustomerID: c.CustomerID, Amount: part.Amount, Currency: inv.Currency, FinalizesAt: part.DueAt,
			Description:    fmt.Sprintf("Part %d of %d of invoice %s", part.N, len(parts), c.InvoiceID),
			Metadata:       map[string]string{"recoup_plan_of": c.InvoiceID, "recoup_plan_part": fmt.Sprintf("%d/%d", part.N, len(parts))},
			IdempotencyKey: fmt.Sprintf("recoup-case-%d-%s-plan-part-%d", c.ID, c.InvoiceID, part.N),
		})
		if err != nil {
			return nil, fmt.Errorf("payment plan for case %d: part %d: %w", caseID, part.N, err)
		}
	}
	if err := pg.SettleOutOfBand(ctx, c.InvoiceID, fmt.Sprintf("recoup-case-%d-%s-plan-settle", c.ID, c.InvoiceID)); err != nil {
		return nil, fmt.Errorf("payment plan for case %d: settle %s: %w", caseID, c.InvoiceID, err)
	}
	err = e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := tx.Case(caseID)
		if err != nil {
			return err
		}
		summary := fmt.Sprintf("payment plan agreed by %s: %s replaced by %d invoices (%s), %s", who, inv.Remaining(), len(ids), strings.Join(ids, ", "), p.PaymentPlan)
		if err := note(tx, &cur, now, recoup.EntryAction, summary, map[string]any{"payment_plan": ids, "by": who, "segment": p.Segment, "policy_version": p.Version}); err != nil {
			return err
		}
		if !cur.State.Terminal() {
			// The settlement's invoice.paid may have been observed first; otherwise close here.
			cur.ClosedReason = "replaced by a payment plan: " + strings.Join(ids, ", ")
			if err := transition(tx, &cur, recoup.StateClosed, now, cur.ClosedReason); err != nil {
				return err
			}
		}
		return tx.UpdateCase(&cur)
	})
	if err != nil {
		return nil, fmt.Errorf("payment plan for case %d: %w", caseID, err)
	}
	return ids, nil
}
