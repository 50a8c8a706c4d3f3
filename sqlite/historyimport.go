package sqlite

import (
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// The history import's rows: the charges it read, the failed invoices they were joined to and
// the import's checkpoint. Each page of the import is one short transaction, so an import can
// run beside serve, the file's other writer.

func (t *tx) AddHistoryCharges(chs []recoup.HistoricalCharge) (int, error) {
	added := 0
	for _, ch := range chs {
		decline, err := declineArg(ch.Decline)
		if err != nil {
			return added, wrap(err, "store charge %s", ch.ID)
		}
		res, err := t.q.ExecContext(t.ctx, `INSERT INTO history_charges (id, payment_intent_id, customer_id,
			payment_method_id, created, status, amount, currency, decline, card_brand, card_funding, card_country)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			ch.ID, ch.PaymentIntentID, ch.CustomerID, ch.PaymentMethodID, ch.Created.UnixMicro(), ch.Status,
			ch.Amount, ch.Currency, decline, ch.CardBrand, ch.CardFunding, ch.CardCountry)
		if err != nil {
			return added, wrap(err, "store charge %s", ch.ID)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added++
		}
	}
	return added, nil
}

const historyChargeColumns = `id, invoice_id, payment_intent_id, customer_id, payment_method_id, created, status,
	amount, currency, decline, card_brand, card_funding, card_country, learned`

func scanHistoryCharge(r scanner) (recoup.HistoryCharge, error) {
	var (
		c       recoup.HistoryCharge
		created int64
		decline sql.NullString
	)
	err := r.Scan(&c.ID, &c.InvoiceID, &c.PaymentIntentID, &c.CustomerID, &c.PaymentMethodID, &created, &c.Status,
		&c.Amount, &c.Currency, &decline, &c.CardBrand, &c.CardFunding, &c.CardCountry, &c.Learned)
	if err != nil {
		return c, err
	}
	c.Created = time.UnixMicro(created).UTC()
	c.Decline, err = declineOf(decline)
	return c, err
}

func (t *tx) historyCharges(where string, args ...any) ([]recoup.HistoryCharge, error) {
	return t.queryHistoryCharges(`SELECT `+historyChargeColumns+` FROM history_charges WHERE `+where+
		` ORDER BY created, id`, args...)
}

func (t *tx) queryHistoryCharges(query string, args ...any) ([]recoup.HistoryCharge, error) {
	rows, err := t.q.QueryContext(t.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []recoup.HistoryCharge{}
	for rows.Next() {
		c, err := scanHistoryCharge(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// placeholders returns "?, ?, ..." for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (t *tx) HistoryCharges(paymentIntentIDs, chargeIDs []string) ([]recoup.HistoryCharge, error) {
	if len(paymentIntentIDs)+len(chargeIDs) == 0 {
		return []recoup.HistoryCharge{}, nil
	}
	args := make([]any, 0, len(paymentIntentIDs)+len(chargeIDs))
	for _, id := range paymentIntentIDs {
		args = append(args, id)
	}
	for _, id := range chargeIDs {
		args = append(args, id)
	}
	// A UNION of two indexed lookups: with OR, SQLite scans the table, once per invoice.
	out, err := t.queryHistoryCharges(`SELECT `+historyChargeColumns+` FROM history_charges WHERE payment_intent_id IN (`+
		placeholders(len(paymentIntentIDs))+`) UNION SELECT `+historyChargeColumns+` FROM history_charges WHERE id IN (`+
		placeholders(len(chargeIDs))+`) ORDER BY created, id`, args...)
	if err != nil {
		return nil, wrap(err, "stored charges")
	}
	return out, nil
}

func (t *tx) SaveHistoryInvoice(inv recoup.PastInvoice) error {
	if inv.ID == "" || inv.FirstFailedAt.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "store past invoice %q: no ID or first failure", inv.ID)
	}
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO history_invoices (id, customer_id, country, amount, currency,
		category, first_failed_at, ended, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET country = excluded.country, amount = excluded.amount,
		category = excluded.category, first_failed_at = excluded.first_failed_at, ended = excluded.ended,
		ended_at = excluded.ended_at`,
		inv.ID, inv.CustomerID, inv.Country, inv.Amount, inv.Currency, string(inv.Category),
		inv.FirstFailedAt.UnixMicro(), inv.Ended, timeArg(inv.EndedAt))
	if err != nil {
		return wrap(err, "store past invoice %s", inv.ID)
	}
	t.imported.add(inv.CustomerID)
	for _, a := range inv.Attempts {
		if _, err := t.q.ExecContext(t.ctx, `UPDATE history_charges SET invoice_id = ? WHERE id = ?`, inv.ID, a.ID); err != nil {
			return wrap(err, "join charge %s to invoice %s", a.ID, inv.ID)
		}
	}
	return nil
}

const pastInvoiceColumns = `id, customer_id, country, amount, currency, category, first_failed_at, ended, ended_at`

func scanPastInvoice(r scanner) (recoup.PastInvoice, error) {
	var (
		p      recoup.PastInvoice
		failed int64
		ended  sql.NullInt64
	)
	if err := r.Scan(&p.ID, &p.CustomerID, &p.Country, &p.Amount, &p.Currency, &p.Category, &failed, &p.Ended, &ended); err != nil {
		return p, err
	}
	p.FirstFailedAt, p.EndedAt = time.UnixMicro(failed).UTC(), timeOf(ended)
	return p, nil
}

func (t *tx) pastInvoices(query string, args ...any) ([]recoup.PastInvoice, error) {
	rows, err := t.q.QueryContext(t.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []recoup.PastInvoice{}
	for rows.Next() {
		p, err := scanPastInvoice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t *tx) UnlearnedHistory(limit int) ([]recoup.PastInvoice, error) {
	out, err := t.pastInvoices(`SELECT ` + pastInvoiceColumns + ` FROM history_invoices WHERE id IN
		(SELECT invoice_id FROM history_charges WHERE learned = 0 AND invoice_id <> '')
		ORDER BY first_failed_at, id LIMIT ` + strconv.Itoa(limit))
	if err != nil {
		return nil, wrap(err, "past invoices to learn from")
	}
	for i := range out {
		if out[i].Attempts, err = t.historyCharges(`invoice_id = ?`, out[i].ID); err != nil {
			return nil, wrap(err, "charges of past invoice %s", out[i].ID)
		}
	}
	return out, nil
}

func (t *tx) MarkHistoryLearned(chargeIDs []string) error {
	for _, id := range chargeIDs {
		if _, err := t.q.ExecContext(t.ctx, `UPDATE history_charges SET learned = 1 WHERE id = ?`, id); err != nil {
			return wrap(err, "mark charge %s learned", id)
		}
	}
	return nil
}

// pastInvoiceSet lets a scratch database answer that a customer has no past invoice without a
// query (keyset.go): a case asks when it opens, and a simulation without --history has none.
func pastInvoiceSet() *keySet[string] {
	return &keySet[string]{query: `SELECT DISTINCT customer_id FROM history_invoices`,
		scan: func(rows *sql.Rows) (k string, err error) { return k, rows.Scan(&k) }}
}

func (t *tx) PastInvoices(customerID string, before time.Time, limit int) ([]recoup.PastInvoice, error) {
	switch none, err := t.imported.none(t.ctx, t.q, customerID); {
	case err != nil:
		return nil, wrap(err, "past invoices of customer %s", customerID)
	case none:
		return []recoup.PastInvoice{}, nil
	}
	out, err := t.pastInvoices(`SELECT `+pastInvoiceColumns+` FROM history_invoices
		WHERE customer_id = ? AND ended <> '' AND ended_at < ? ORDER BY ended_at DESC, id DESC LIMIT `+strconv.Itoa(limit),
		customerID, before.UnixMicro())
	if err != nil {
		return nil, wrap(err, "past invoices of customer %s", customerID)
	}
	return out, nil
}

func (t *tx) HistoryImport() (recoup.HistoryImport, error) {
	var (
		h                       recoup.HistoryImport
		since, started, updated int64
		finished                sql.NullInt64
	)
	err := t.q.QueryRowContext(t.ctx, `SELECT id, since, phase, charges_after, invoices_after, charges, invoices,
		observations, started_at, updated_at, finished_at FROM history_imports ORDER BY id DESC LIMIT 1`).Scan(
		&h.ID, &since, &h.Phase, &h.ChargesAfter, &h.InvoicesAfter, &h.Charges, &h.Invoices, &h.Observations,
		&started, &updated, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return h, recoup.Errorf(recoup.ENOTFOUND, "no history import yet")
	}
	if err != nil {
		return h, wrap(err, "latest history import")
	}
	h.Since, h.StartedAt, h.UpdatedAt = time.UnixMicro(since).UTC(), time.UnixMicro(started).UTC(), time.UnixMicro(updated).UTC()
	h.FinishedAt = timeOf(finished)
	return h, nil
}

func (t *tx) SaveHistoryImport(h *recoup.HistoryImport) error {
	args := []any{h.Since.UnixMicro(), h.Phase, h.ChargesAfter, h.InvoicesAfter, h.Charges, h.Invoices, h.Observations,
		h.StartedAt.UnixMicro(), h.UpdatedAt.UnixMicro(), timeArg(h.FinishedAt)}
	if h.ID == 0 {
		id, _, err := insertID(t.ctx, t.q, `INSERT INTO history_imports (since, phase, charges_after, invoices_after,
			charges, invoices, observations, started_at, updated_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if err != nil {
			return wrap(err, "start history import")
		}
		h.ID = id
		return nil
	}
	res, err := t.q.ExecContext(t.ctx, `UPDATE history_imports SET since = ?, phase = ?, charges_after = ?,
		invoices_after = ?, charges = ?, invoices = ?, observations = ?, started_at = ?, updated_at = ?, finished_at = ?
		WHERE id = ?`, append(args, h.ID)...)
	if err != nil {
		return wrap(err, "save history import %d", h.ID)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "save history import %d: no such import", h.ID)
	}
	return nil
}
