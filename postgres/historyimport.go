package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// The history import's rows: the charges it read, the failed invoices they were joined to and
// the import's checkpoint. Each page of the import is one short transaction.

func (t *tx) AddHistoryCharges(chs []recoup.HistoricalCharge) (int, error) {
	added := 0
	for _, ch := range chs {
		decline, err := declineArg(ch.Decline)
		if err != nil {
			return added, wrap(err, "store charge %s", ch.ID)
		}
		tag, err := t.tx.Exec(t.ctx, `INSERT INTO history_charges (id, payment_intent_id, customer_id,
			payment_method_id, created, status, amount, currency, decline, card_brand, card_funding, card_country)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
			ch.ID, ch.PaymentIntentID, ch.CustomerID, ch.PaymentMethodID, ch.Created, ch.Status,
			ch.Amount, ch.Currency, decline, ch.CardBrand, ch.CardFunding, ch.CardCountry)
		if err != nil {
			return added, wrap(err, "store charge %s", ch.ID)
		}
		added += int(tag.RowsAffected())
	}
	return added, nil
}

const historyChargeColumns = `id, invoice_id, payment_intent_id, customer_id, payment_method_id, created, status,
	amount, currency, decline, card_brand, card_funding, card_country, learned`

func scanHistoryCharge(r scanner) (recoup.HistoryCharge, error) {
	var (
		c       recoup.HistoryCharge
		decline []byte
	)
	err := r.Scan(&c.ID, &c.InvoiceID, &c.PaymentIntentID, &c.CustomerID, &c.PaymentMethodID, &c.Created, &c.Status,
		&c.Amount, &c.Currency, &decline, &c.CardBrand, &c.CardFunding, &c.CardCountry, &c.Learned)
	if err != nil {
		return c, err
	}
	c.Created = c.Created.UTC()
	c.Decline, err = declineOf(decline)
	return c, err
}

func (t *tx) historyCharges(where string, args ...any) ([]recoup.HistoryCharge, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+historyChargeColumns+` FROM history_charges WHERE `+where+
		` ORDER BY created, id`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanHistoryCharge)
}

func (t *tx) HistoryCharges(paymentIntentIDs, chargeIDs []string) ([]recoup.HistoryCharge, error) {
	if len(paymentIntentIDs)+len(chargeIDs) == 0 {
		return []recoup.HistoryCharge{}, nil
	}
	if paymentIntentIDs == nil {
		paymentIntentIDs = []string{}
	}
	if chargeIDs == nil {
		chargeIDs = []string{}
	}
	out, err := t.historyCharges(`payment_intent_id = ANY($1) OR id = ANY($2)`, paymentIntentIDs, chargeIDs)
	if err != nil {
		return nil, wrap(err, "stored charges")
	}
	return out, nil
}

func (t *tx) SaveHistoryInvoice(inv recoup.PastInvoice) error {
	if inv.ID == "" || inv.FirstFailedAt.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "store past invoice %q: no ID or first failure", inv.ID)
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO history_invoices (id, customer_id, country, amount, currency,
		category, first_failed_at, ended, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET country = excluded.country, amount = excluded.amount,
		category = excluded.category, first_failed_at = excluded.first_failed_at, ended = excluded.ended,
		ended_at = excluded.ended_at`,
		inv.ID, inv.CustomerID, inv.Country, inv.Amount, inv.Currency, string(inv.Category),
		inv.FirstFailedAt, inv.Ended, timeArg(inv.EndedAt))
	if err != nil {
		return wrap(err, "store past invoice %s", inv.ID)
	}
	ids := make([]string, len(inv.Attempts))
	for i, a := range inv.Attempts {
		ids[i] = a.ID
	}
	if _, err := t.tx.Exec(t.ctx, `UPDATE history_charges SET invoice_id = $1 WHERE id = ANY($2)`, inv.ID, ids); err != nil {
		return wrap(err, "join charges to invoice %s", inv.ID)
	}
	return nil
}

const pastInvoiceColumns = `id, customer_id, country, amount, currency, category, first_failed_at, ended, ended_at`

func scanPastInvoice(r scanner) (recoup.PastInvoice, error) {
	var (
		p     recoup.PastInvoice
		ended *time.Time
	)
	if err := r.Scan(&p.ID, &p.CustomerID, &p.Country, &p.Amount, &p.Currency, &p.Category, &p.FirstFailedAt, &p.Ended, &ended); err != nil {
		return p, err
	}
	p.FirstFailedAt, p.EndedAt = p.FirstFailedAt.UTC(), timeOf(ended)
	return p, nil
}

func (t *tx) UnlearnedHistory(limit int) ([]recoup.PastInvoice, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+pastInvoiceColumns+` FROM history_invoices WHERE id IN
		(SELECT invoice_id FROM history_charges WHERE NOT learned AND invoice_id <> '')
		ORDER BY first_failed_at, id LIMIT $1`, limit)
	if err != nil {
		return nil, wrap(err, "past invoices to learn from")
	}
	out, err := collect(rows, scanPastInvoice)
	if err != nil {
		return nil, wrap(err, "past invoices to learn from")
	}
	for i := range out {
		if out[i].Attempts, err = t.historyCharges(`invoice_id = $1`, out[i].ID); err != nil {
			return nil, wrap(err, "charges of past invoice %s", out[i].ID)
		}
	}
	return out, nil
}

func (t *tx) MarkHistoryLearned(chargeIDs []string) error {
	if chargeIDs == nil {
		chargeIDs = []string{}
	}
	if _, err := t.tx.Exec(t.ctx, `UPDATE history_charges SET learned = true WHERE id = ANY($1)`, chargeIDs); err != nil {
		return wrap(err, "mark charges learned")
	}
	return nil
}

func (t *tx) PastInvoices(customerID string, before time.Time, limit int) ([]recoup.PastInvoice, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+pastInvoiceColumns+` FROM history_invoices
		WHERE customer_id = $1 AND ended <> '' AND ended_at < $2 ORDER BY ended_at DESC, id DESC LIMIT $3`,
		customerID, before, limit)
	if err != nil {
		return nil, wrap(err, "past invoices of customer %s", customerID)
	}
	out, err := collect(rows, scanPastInvoice)
	if err != nil {
		return nil, wrap(err, "past invoices of customer %s", customerID)
	}
	return out, nil
}

func (t *tx) HistoryImport() (recoup.HistoryImport, error) {
	var (
		h        recoup.HistoryImport
		finished *time.Time
	)
	err := t.tx.QueryRow(t.ctx, `SELECT id, since, phase, charges_after, invoices_after, charges, invoices,
		observations, started_at, updated_at, finished_at FROM history_imports ORDER BY id DESC LIMIT 1`).Scan(
		&h.ID, &h.Since, &h.Phase, &h.ChargesAfter, &h.InvoicesAfter, &h.Charges, &h.Invoices, &h.Observations,
		&h.StartedAt, &h.UpdatedAt, &finished)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, recoup.Errorf(recoup.ENOTFOUND, "no history import yet")
	}
	if err != nil {
		return h, wrap(err, "latest history import")
	}
	h.Since, h.StartedAt, h.UpdatedAt, h.FinishedAt = h.Since.UTC(), h.StartedAt.UTC(), h.UpdatedAt.UTC(), timeOf(finished)
	return h, nil
}

func (t *tx) SaveHistoryImport(h *recoup.HistoryImport) error {
	args := []any{h.Since, h.Phase, h.ChargesAfter, h.InvoicesAfter, h.Charges, h.Invoices, h.Observations,
		h.StartedAt, h.UpdatedAt, timeArg(h.FinishedAt)}
	if h.ID == 0 {
		err := t.tx.QueryRow(t.ctx, `INSERT INTO history_imports (since, phase, charges_after, invoices_after,
			charges, invoices, observations, started_at, updated_at, finished_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, args...).Scan(&h.ID)
		if err != nil {
			return wrap(err, "start history import")
		}
		return nil
	}
	tag, err := t.tx.Exec(t.ctx, `UPDATE history_imports SET since = $1, phase = $2, charges_after = $3,
		invoices_after = $4, charges = $5, invoices = $6, observations = $7, started_at = $8, updated_at = $9,
		finished_at = $10 WHERE id = $11`, append(args, h.ID)...)
	if err != nil {
		return wrap(err, "save history import %d", h.ID)
	}
	if tag.RowsAffected() == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "save history import %d: no such import", h.ID)
	}
	return nil
}
