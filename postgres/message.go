package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

// The messages sent to customers, at most one per case and campaign step. Subject, text and
// HTML are stored with the customer's live links replaced by markers (updatelink.Redact): whoever
// reads the table must not be able to use them.

func (t *tx) InsertMessage(m *recoup.Message) error {
	if err := m.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "insert message %d of case %d: %w", m.Step, m.CaseID, err)
	}
	// ON CONFLICT DO NOTHING, not a unique violation that would abort the transaction.
	err := t.tx.QueryRow(t.ctx, `INSERT INTO messages
		(case_id, invoice_id, customer_id, step, channel, template, tone, recipient, subject,
		body, html, status, error, created_at, sent_at,
		generated, fallback, fallback_reason, generation, model)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (case_id, step) DO NOTHING
		RETURNING id`,
		m.CaseID, m.InvoiceID, m.CustomerID, m.Step, m.Channel, m.Template, m.Tone, m.To, updatelink.Redact(m.Subject),
		updatelink.Redact(m.Text), updatelink.Redact(m.HTML), string(m.Status), m.Error, timeArg(m.CreatedAt), timeArg(m.SentAt),
		m.Generated, m.Fallback, m.FallbackReason, m.Generation, m.Model).Scan(&m.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Errorf(recoup.ECONFLICT, "insert message %d of case %d: the message exists", m.Step, m.CaseID)
	}
	if isForeignKey(err) {
		return recoup.Errorf(recoup.ENOTFOUND, "insert message %d of case %d: no such case", m.Step, m.CaseID)
	}
	if err != nil {
		return wrap(err, "insert message %d of case %d", m.Step, m.CaseID)
	}
	return nil
}

// UpdateMessage saves what changes once a message is rendered and sent: recipient, subject,
// body, HTML, status, error and send time.
func (t *tx) UpdateMessage(m *recoup.Message) error {
	if err := m.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "update message %d: %w", m.ID, err)
	}
	tag, err := t.tx.Exec(t.ctx, `UPDATE messages
		SET recipient = $1, subject = $2, body = $3, html = $4, status = $5, error = $6, sent_at = $7
		WHERE id = $8`,
		m.To, updatelink.Redact(m.Subject), updatelink.Redact(m.Text), updatelink.Redact(m.HTML), string(m.Status), m.Error, timeArg(m.SentAt), m.ID)
	if err != nil {
		return wrap(err, "update message %d", m.ID)
	}
	if tag.RowsAffected() == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "update message %d: no such message", m.ID)
	}
	return nil
}

func (t *tx) Messages(caseID int64) ([]recoup.Message, error) {
	return listMessages(t.ctx, t.tx, caseID)
}

func (s *Store) Messages(ctx context.Context, caseID int64) ([]recoup.Message, error) {
	return listMessages(ctx, s.db.pool, caseID)
}

// listMessages returns the messages of a case by step.
func listMessages(ctx context.Context, q querier, caseID int64) ([]recoup.Message, error) {
	rows, err := q.Query(ctx, `SELECT id, case_id, invoice_id, customer_id, step, channel,
		template, tone, recipient, subject, body, html, status, error, created_at, sent_at,
		generated, fallback, fallback_reason, generation, model
		FROM messages WHERE case_id = $1 ORDER BY step, id`, caseID)
	if err != nil {
		return nil, wrap(err, "messages of case %d", caseID)
	}
	messages, err := collect(rows, func(r scanner) (recoup.Message, error) {
		var m recoup.Message
		var created, sent *time.Time
		err := r.Scan(&m.ID, &m.CaseID, &m.InvoiceID, &m.CustomerID, &m.Step, &m.Channel,
			&m.Template, &m.Tone, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Status, &m.Error, &created, &sent,
			&m.Generated, &m.Fallback, &m.FallbackReason, &m.Generation, &m.Model)
		m.CreatedAt, m.SentAt = timeOf(created), timeOf(sent)
		return m, err
	})
	if err != nil {
		return nil, wrap(err, "messages of case %d", caseID)
	}
	if len(messages) == 0 {
		if err := caseExists(ctx, q, caseID); err != nil {
			return nil, wrap(err, "messages of case %d", caseID)
		}
	}
	return messages, nil
}
