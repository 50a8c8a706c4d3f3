package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

// Reminders of invoices sent to be paid by the customer (collection_method send_invoice):
// Stripe charges nothing, so no payment fails and no case opens; the customer has to pay by a
// due date. When such an invoice is finalized, one job per day of the schedule
// (NoticeConfig.InvoiceDueDays, relative to the due date) is queued at the campaign's hour of
// that day in the customer's time zone, outside their quiet hours; each re-reads the invoice
// and sends an invoice_due notice only while it is still open, so reminders stop the moment it
// is paid or voided.

// planReminders queues the reminders of a finalized invoice.
func (e *Engine) planReminders(ctx context.Context, now time.Time, invoiceID string) (recoup.EventStatus, string, error) {
	if len(e.notices.InvoiceDueDays) == 0 || !e.noticesOn() {
		return recoup.EventIgnored, "invoice reminders are off", nil
	}
	if invoiceID == "" {
		return recoup.EventFailed, "event has no invoice id", nil
	}
	inv, err := e.gw.Invoice(ctx, invoiceID)
	if err != nil {
		return "", "", fmt.Errorf("read invoice %s: %w", invoiceID, err)
	}
	if inv.CollectionMethod != "send_invoice" || inv.DueDate.IsZero() || inv.Status != recoup.InvoiceOpen {
		return recoup.EventIgnored, "not an open invoice sent to be paid by a due date", nil
	}
	var jobs []recoup.Job
	p := e.Policy()
	loc := noticeZone(inv.CustomerCountry, inv.CustomerRegion, p)
	for _, day := range e.notices.InvoiceDueDays {
		at, ok := reminderAt(p, loc, inv.DueDate, day, now)
		if !ok {
			continue // its day is over: a reminder now would say the wrong thing
		}
		jobs = append(jobs, recoup.Job{Kind: recoup.JobInvoiceReminder, InvoiceID: inv.ID, Seq: day, RunAt: at})
	}
	if len(jobs) == 0 {
		return recoup.EventIgnored, "every reminder's day is past", nil
	}
	if err := e.store.Tx(ctx, func(tx recoup.Tx) error { return tx.Enqueue(jobs...) }); err != nil {
		return "", "", fmt.Errorf("plan reminders of %s: %w", inv.ID, err)
	}
	return recoup.EventProcessed, fmt.Sprintf("%d reminder(s) planned before, on and after the due date", len(jobs)), nil
}

// InvoiceReminder sends the reminder of day `day` (relative to the due date) of an invoice
// sent to be paid, once, if the invoice is still open and reminders are still on.
func (e *Engine) InvoiceReminder(ctx context.Context, now time.Time, invoiceID string, day int) error {
	if len(e.notices.InvoiceDueDays) == 0 || !e.noticesOn() {
		return nil // turned off since the job was queued
	}
	inv, err := e.gw.Invoice(ctx, invoiceID)
	if err != nil {
		return fmt.Errorf("reminder %d of invoice %s: %w", day, invoiceID, err)
	}
	if inv.Status != recoup.InvoiceOpen || inv.AmountRemaining <= 0 || inv.CollectionMethod != "send_invoice" || inv.CustomerID == "" {
		return nil // paid, voided or uncollectible: nothing to remind of
	}
	cus, err := e.noticeCustomer(ctx, inv.CustomerID)
	if recoup.IsNotFound(err) {
		return nil // the customer is gone
	}
	if err != nil {
		return fmt.Errorf("reminder %d of invoice %s: %w", day, invoiceID, err)
	}
	to := cus.Email
	if to == "" {
		to = inv.CustomerEmail
	}
	n := recoup.Notice{Kind: recoup.NoticeInvoiceDue, Key: fmt.Sprintf("%s/%d", inv.ID, day), CustomerID: inv.CustomerID,
		SubscriptionID: inv.SubscriptionID, InvoiceID: inv.ID, DueAt: inv.DueDate, Channel: e.notices.Channel, To: to}
	d := Draft{Case: recoup.Case{CustomerID: inv.CustomerID, SubscriptionID: inv.SubscriptionID, InvoiceID: inv.ID, CustomerEmail: to, Amount: inv.Remaining()},
		Invoice: inv, Customer: cus, Channel: e.notices.Channel, Template: recoup.NoticeInvoiceDue, Tone: "neutral", DueAt: inv.DueDate, Now: now}
	return e.sendNotice(ctx, now, n, d)
}
