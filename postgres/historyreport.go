package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

var _ recoup.HistoryReader = (*Store)(nil)

// ReadHistory reads the imported history of the period on one snapshot (a REPEATABLE READ,
// READ ONLY transaction): the latest import, the period's failed invoices with their charges,
// and every charge of the period. Three queries, whatever the number of invoices.
func (s *Store) ReadHistory(ctx context.Context, from, to time.Time) (h recoup.HistoryRecord, err error) {
	err = s.snapshot(ctx, "history read", func(q querier) error {
		// snapshot's querier is its pgx.Tx: the import's own reads run on it as they are.
		ptx, ok := q.(pgx.Tx)
		if !ok {
			return recoup.Errorf(recoup.EINTERNAL, "history read: the snapshot is not a transaction")
		}
		t := &tx{ctx: ctx, tx: ptx}
		if h.Import, err = t.HistoryImport(); err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT `+pastInvoiceColumns+` FROM history_invoices
			WHERE first_failed_at >= $1 AND first_failed_at < $2 ORDER BY first_failed_at, id`, from, to)
		if err != nil {
			return wrap(err, "past invoices of the period")
		}
		if h.Invoices, err = collect(rows, scanPastInvoice); err != nil {
			return wrap(err, "past invoices of the period")
		}
		rows, err = q.Query(ctx, `SELECT `+historyChargeColumns+` FROM history_charges WHERE invoice_id IN
			(SELECT id FROM history_invoices WHERE first_failed_at >= $1 AND first_failed_at < $2)
			ORDER BY invoice_id, created, id`, from, to)
		if err != nil {
			return wrap(err, "charges of the period's past invoices")
		}
		attempts, err := collect(rows, scanHistoryCharge)
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
		if h.Charges, err = t.historyCharges(`created >= $1 AND created < $2`, from, to); err != nil {
			return wrap(err, "charges of the period")
		}
		return nil
	})
	return h, err
}
