package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// Payment-method changes: the newest per customer, kept for a case that opens later (see
// recoup.PaymentMethodChange).

// lockCustomerCards takes the customer's transaction-scoped advisory lock. Recording a change
// and then listing the customer's open cases, and opening a case and then reading the change,
// both hold it: under READ COMMITTED, without it, each transaction could miss the other's
// uncommitted row and the change would reach no case.
func (t *tx) lockCustomerCards(customerID string) error {
	_, err := t.tx.Exec(t.ctx, `SELECT pg_advisory_xact_lock(hashtextextended('recoup payment methods ' || $1, 0))`, customerID)
	if err != nil {
		return wrap(err, "lock payment methods of %s", customerID)
	}
	return nil
}

func (t *tx) RecordPaymentMethodChange(ch *recoup.PaymentMethodChange) error {
	if err := ch.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "record payment method change of %s: %w", ch.CustomerID, err)
	}
	if err := t.lockCustomerCards(ch.CustomerID); err != nil {
		return err
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO payment_method_changes
		(customer_id, payment_method_id, refreshed, changed_at, event_id) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (customer_id) DO UPDATE SET
			refreshed = CASE WHEN excluded.changed_at = payment_method_changes.changed_at
				AND excluded.payment_method_id = payment_method_changes.payment_method_id
				THEN payment_method_changes.refreshed OR excluded.refreshed ELSE excluded.refreshed END,
			payment_method_id = excluded.payment_method_id,
			changed_at = excluded.changed_at,
			event_id = excluded.event_id
		WHERE excluded.changed_at >= payment_method_changes.changed_at`,
		ch.CustomerID, ch.PaymentMethodID, ch.Refreshed, ch.At, ch.EventID)
	if err != nil {
		return wrap(err, "record payment method change of %s", ch.CustomerID)
	}
	return nil
}

func (t *tx) PaymentMethodChange(customerID string) (recoup.PaymentMethodChange, error) {
	if err := t.lockCustomerCards(customerID); err != nil {
		return recoup.PaymentMethodChange{}, err
	}
	ch := recoup.PaymentMethodChange{CustomerID: customerID}
	err := t.tx.QueryRow(t.ctx, `SELECT payment_method_id, refreshed, changed_at, event_id
		FROM payment_method_changes WHERE customer_id = $1`, customerID).Scan(&ch.PaymentMethodID, &ch.Refreshed, &ch.At, &ch.EventID)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.PaymentMethodChange{}, recoup.Errorf(recoup.ENOTFOUND, "no payment method change of %s", customerID)
	}
	if err != nil {
		return recoup.PaymentMethodChange{}, wrap(err, "payment method change of %s", customerID)
	}
	ch.At = ch.At.UTC()
	return ch, nil
}

func (t *tx) PrunePaymentMethodChanges(before time.Time) (int, error) {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM payment_method_changes WHERE changed_at < $1`, before)
	if err != nil {
		return 0, wrap(err, "prune payment method changes")
	}
	return int(tag.RowsAffected()), nil
}
