package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

// Notices: messages to customers outside any case, at most one per kind and key, stored with
// their links redacted as messages are.

func (t *tx) InsertNotice(n *recoup.Notice) error {
	if err := n.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "insert notice %s %s: %w", n.Kind, n.Key, err)
	}
	// ON CONFLICT DO NOTHING, not a unique violation that would abort the transaction.
	err := t.tx.QueryRow(t.ctx, `INSERT INTO notices
		(kind, key, customer_id, subscription_id, invoice_id, payment_method_id, due_at, channel,
		recipient, subject, body, html, status, error, created_at, sent_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (kind, key) DO NOTHING
		RETURNING id`,
		n.Kind, n.Key, n.CustomerID, n.SubscriptionID, n.InvoiceID, n.PaymentMethodID, timeArg(n.DueAt), n.Channel,
		n.To, updatelink.Redact(n.Subject), updatelink.Redact(n.Text), updatelink.Redact(n.HTML), string(n.Status), n.Error, timeArg(n.CreatedAt), timeArg(n.SentAt)).Scan(&n.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Errorf(recoup.ECONFLICT, "insert notice %s %s: the notice exists", n.Kind, n.Key)
	}
	if err != nil {
		return wrap(err, "insert notice %s %s", n.Kind, n.Key)
	}
	return nil
}

// UpdateNotice saves what changes once a notice is written and sent.
func (t *tx) UpdateNotice(n *recoup.Notice) error {
	if err := n.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "update notice %d: %w", n.ID, err)
	}
	tag, err := t.tx.Exec(t.ctx, `UPDATE notices
		SET recipient = $1, subject = $2, body = $3, html = $4, status = $5, error = $6, sent_at = $7
		WHERE id = $8`,
		n.To, updatelink.Redact(n.Subject), updatelink.Redact(n.Text), updatelink.Redact(n.HTML), string(n.Status), n.Error, timeArg(n.SentAt), n.ID)
	if err != nil {
		return wrap(err, "update notice %d", n.ID)
	}
	if tag.RowsAffected() == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "update notice %d: no such notice", n.ID)
	}
	return nil
}

func (t *tx) NoticeByKey(kind, key string) (recoup.Notice, error) {
	return t.notice(`kind = $1 AND key = $2`, kind, key)
}

func (t *tx) Notice(id int64) (recoup.Notice, error) { return t.notice(`id = $1`, id) }

func (t *tx) notice(where string, args ...any) (recoup.Notice, error) {
	var (
		n                  recoup.Notice
		due, created, sent *time.Time
	)
	err := t.tx.QueryRow(t.ctx, `SELECT id, kind, key, customer_id, subscription_id, invoice_id,
		payment_method_id, due_at, channel, recipient, subject, body, html, status, error, created_at, sent_at
		FROM notices WHERE `+where, args...).Scan(&n.ID, &n.Kind, &n.Key, &n.CustomerID, &n.SubscriptionID, &n.InvoiceID,
		&n.PaymentMethodID, &due, &n.Channel, &n.To, &n.Subject, &n.Text, &n.HTML, &n.Status, &n.Error, &created, &sent)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Notice{}, recoup.Errorf(recoup.ENOTFOUND, "no such notice (%v)", args)
	}
	if err != nil {
		return recoup.Notice{}, wrap(err, "notice %v", args)
	}
	n.DueAt, n.CreatedAt, n.SentAt = timeOf(due), timeOf(created), timeOf(sent)
	return n, nil
}
