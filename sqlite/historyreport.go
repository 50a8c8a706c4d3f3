package sqlite

import (
	"context"
	"time"

	"github.com/recoup-hq/recoup"
)

var _ recoup.HistoryReader = (*Store)(nil)

// ReadHistory reads the imported history of the period on one snapshot (a read transaction
// of the read pool): the latest import, the period's failed invoices with their charges, and
// every charge of the period. Three queries, whatever the number of invoices.
func (s *Store) ReadHistory(ctx context.Context, from, to time.Time) (h recoup.HistoryRecord, err error) {
	err = s.snapshot(ctx, "history read", func(q querier) error {
		t := &tx{ctx: ctx, q: q}
		if h.Import, err = t.HistoryImport(); err != nil {
			return err
		}
		lo, hi := from.UnixMicro(), to.UnixMicro()
		if h.Invoices, err = t.pastInvoices(`SELECT `+pastInvoiceColumns+` FROM history_invoices
			WHERE first_failed_at >= ? AND first_failed_at < ? ORDER BY first_failed_at, id`, lo, hi); err != nil {
			return wrap(err, "past invoices of the period")
		}
		attempts, err := t.queryHistoryCharges(`SELECT `+historyChargeColumns+` FROM history_charges WHERE invoice_id IN
			(SELECT id FROM history_invoices WHERE first_failed_at >= ? AND first_failed_at < ?)
			ORDER BY invoice_id, created, id`, lo, hi)
		if err != nil {
			return wrap(err, "charges of the period's past invoices")
		}
		byInvoice := map[string][]recoup.HistoryCharge{}
		for _, a := range attempts {
			byInvoice[a.InvoiceID] = append(byInvoice[a.InvoiceID], a)
		}
		for i := range h.Invoices {
			h.Invoices[i].Attempts = byInvoice[h.Invoices[i].ID]
		}
		if h.Charges, err = t.historyCharges(`created >= ? AND created < ?`, lo, hi); err != nil {
			return wrap(err, "charges of the period")
		}
		return nil
	})
	return h, err
}
