package sqlite

import (
	"context"
	"database/sql"

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
	// ON CONFLICT DO NOTHING, as for attempts: a second message for the step is an answer,
	// not an error that would end the transaction.
	id, inserted, err := insertID(t.ctx, t.q, `INSERT INTO messages
		(case_id, invoice_id, customer_id, step, channel, template, tone, recipient, subject,
		body, html, status, error, created_at, sent_at,
		generated, fallback, fallback_reason, generation, model)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (case_id, step) DO NOTHING`,
		m.CaseID, m.InvoiceID, m.CustomerID, m.Step, m.Channel, m.Template, m.Tone, m.To, updatelink.Redact(m.Subject),
		updatelink.Redact(m.Text), updatelink.Redact(m.HTML), string(m.Status), m.Error, timeArg(m.CreatedAt), timeArg(m.SentAt),
		m.Generated, m.Fallback, m.FallbackReason, m.Generation, m.Model)
	if err == nil && !inserted {
		return recoup.Errorf(recoup.ECONFLICT, "insert message %d of case %d: the message exists", m.Step, m.CaseID)
	}
	if isForeignKey(err) {
		return recoup.Errorf(recoup.ENOTFOUND, "insert message %d of case %d: no such case", m.Step, m.CaseID)
	}
	if err != nil {
		return wrap(err, "insert message %d of case %d", m.Step, m.CaseID)
	}
	m.ID = id
	return nil
}

// UpdateMessage saves what changes once a message is rendered and sent: recipient, subject,
// body, HTML, status, error and send time.
func (t *tx) UpdateMessage(m *recoup.Message) error {
	if err := m.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "update message %d: %w", m.ID, err)
	}
	res, err := t.q.ExecContext(t.ctx, `UPDATE messages
		SET recipient = ?, subject = ?, body = ?, html = ?, status = ?, error = ?, sent_at = ?
		WHERE id = ?`,
		m.To, updatelink.Redact(m.Subject), updatelink.Redact(m.Text), updatelink.Redact(m.HTML), string(m.Status), m.Error, timeArg(m.SentAt), m.ID)
	if err != nil {
		return wrap(err, "update message %d", m.ID)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(err, "update message %d", m.ID)
	} else if n == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "update message %d: no such message", m.ID)
	}
	return nil
}

func (t *tx) Messages(caseID int64) ([]recoup.Message, error) {
	return listMessages(t.ctx, t.q, caseID, t.knows(caseID))
}

func (s *Store) Messages(ctx context.Context, caseID int64) ([]recoup.Message, error) {
	return listMessages(ctx, s.db.reader(), caseID, false)
}

// listMessages returns the messages of a case by step. exists says the case is known to exist,
// so that no messages needs no second query to tell an empty list from a wrong ID.
func listMessages(ctx context.Context, q querier, caseID int64, exists bool) ([]recoup.Message, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, case_id, invoice_id, customer_id, step, channel,
		template, tone, recipient, subject, body, html, status, error, created_at, sent_at,
		generated, fallback, fallback_reason, generation, model
		FROM messages WHERE case_id = ? ORDER BY step, id`, caseID)
	if err != nil {
		return nil, wrap(err, "messages of case %d", caseID)
	}
	defer rows.Close()
	messages := []recoup.Message{}
	for rows.Next() {
		var m recoup.Message
		var created, sent sql.NullInt64
		if err := rows.Scan(&m.ID, &m.CaseID, &m.InvoiceID, &m.CustomerID, &m.Step, &m.Channel,
			&m.Template, &m.Tone, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Status, &m.Error, &created, &sent,
			&m.Generated, &m.Fallback, &m.FallbackReason, &m.Generation, &m.Model); err != nil {
			return nil, wrap(err, "messages of case %d", caseID)
		}
		m.CreatedAt, m.SentAt = timeOf(created), timeOf(sent)
		messages = append(messages, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "messages of case %d", caseID)
	}
	if len(messages) == 0 && !exists {
		if err := caseExists(ctx, q, caseID); err != nil {
			return nil, wrap(err, "messages of case %d", caseID)
		}
	}
	return messages, nil
}
