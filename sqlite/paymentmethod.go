package sqlite

import (
	"database/sql"
	"errors"
	"time"

	"github.com/recoup-hq/recoup"
)

// Payment-method changes: the newest per customer, kept for a case that opens later (see
// recoup.PaymentMethodChange). SQLite has one writer at a time, so the customer needs no lock.

func (t *tx) RecordPaymentMethodChange(ch *recoup.PaymentMethodChange) error {
	if err := ch.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "record payment method change of %s: %w", ch.CustomerID, err)
	}
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO payment_method_changes
		(customer_id, payment_method_id, refreshed, changed_at, event_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (customer_id) DO UPDATE SET
			refreshed = CASE WHEN excluded.changed_at = payment_method_changes.changed_at
				AND excluded.payment_method_id = payment_method_changes.payment_method_id
				THEN payment_method_changes.refreshed OR excluded.refreshed ELSE excluded.refreshed END,
			payment_method_id = excluded.payment_method_id,
			changed_at = excluded.changed_at,
			event_id = excluded.event_id
		WHERE excluded.changed_at >= payment_method_changes.changed_at`,
		ch.CustomerID, ch.PaymentMethodID, ch.Refreshed, timeArg(ch.At), ch.EventID)
	if err != nil {
		return wrap(err, "record payment method change of %s", ch.CustomerID)
	}
	t.changed.add(ch.CustomerID)
	return nil
}

// paymentMethodChangeSet lets a scratch database answer that a customer has no payment-method
// change without a query (keyset.go): a case asks when it opens, and most customers have none.
// A pruned row's customer stays in the set, which only costs a query.
func paymentMethodChangeSet() *keySet[string] {
	return &keySet[string]{query: `SELECT customer_id FROM payment_method_changes`,
		scan: func(rows *sql.Rows) (k string, err error) { return k, rows.Scan(&k) }}
}

func (t *tx) PaymentMethodChange(customerID string) (recoup.PaymentMethodChange, error) {
	switch none, err := t.changed.none(t.ctx, t.q, customerID); {
	case err != nil:
		return recoup.PaymentMethodChange{}, wrap(err, "payment method change of %s", customerID)
	case none:
		return recoup.PaymentMethodChange{}, recoup.Errorf(recoup.ENOTFOUND, "no payment method change of %s", customerID)
	}
	ch := recoup.PaymentMethodChange{CustomerID: customerID}
	var at sql.NullInt64
	err := t.q.QueryRowContext(t.ctx, `SELECT payment_method_id, refreshed, changed_at, event_id
		FROM payment_method_changes WHERE customer_id = ?`, customerID).Scan(&ch.PaymentMethodID, &ch.Refreshed, &at, &ch.EventID)
	if errors.Is(err, sql.ErrNoRows) {
		return recoup.PaymentMethodChange{}, recoup.Errorf(recoup.ENOTFOUND, "no payment method change of %s", customerID)
	}
	if err != nil {
		return recoup.PaymentMethodChange{}, wrap(err, "payment method change of %s", customerID)
	}
	ch.At = timeOf(at)
	return ch, nil
}

func (t *tx) PrunePaymentMethodChanges(before time.Time) (int, error) {
	res, err := t.q.ExecContext(t.ctx, `DELETE FROM payment_method_changes WHERE changed_at < ?`, timeArg(before))
	if err != nil {
		return 0, wrap(err, "prune payment method changes")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap(err, "prune payment method changes")
	}
	return int(n), nil
}
