package sqlite

import (
	"database/sql"
	"errors"

	"github.com/recoup-hq/recoup"
)

// The suppression list: customers who receive nothing more on a channel.

// suppressedSet lets a scratch database answer that a customer has no suppression on a channel
// without a query (keyset.go): every message asks, and almost none has one (19 suppressions for
// 6,523 messages in the simulator).
func suppressedSet() *keySet[[2]string] {
	return &keySet[[2]string]{query: `SELECT customer_id, channel FROM suppressions`,
		scan: func(rows *sql.Rows) (k [2]string, err error) { return k, rows.Scan(&k[0], &k[1]) }}
}

func (t *tx) InsertSuppression(s *recoup.Suppression) error {
	if err := s.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "insert suppression of %s on %s: %w", s.CustomerID, s.Channel, err)
	}
	var caseID any
	if s.CaseID != 0 {
		caseID = s.CaseID
	}
	t.sup.add([2]string{s.CustomerID, s.Channel})
	// The first record stands: a later bounce or a second unsubscribe adds nothing.
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO suppressions
		(customer_id, channel, reason, detail, case_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (customer_id, channel) DO NOTHING`,
		s.CustomerID, s.Channel, string(s.Reason), s.Detail, caseID, timeArg(s.CreatedAt))
	if err != nil {
		return wrap(err, "insert suppression of %s on %s", s.CustomerID, s.Channel)
	}
	return nil
}

func (t *tx) Suppression(customerID, channel string) (recoup.Suppression, error) {
	switch none, err := t.sup.none(t.ctx, t.q, [2]string{customerID, channel}); {
	case err != nil:
		return recoup.Suppression{}, wrap(err, "suppression of %s on %s", customerID, channel)
	case none:
		return recoup.Suppression{}, recoup.Errorf(recoup.ENOTFOUND, "no suppression of %s on %s", customerID, channel)
	}
	s := recoup.Suppression{CustomerID: customerID, Channel: channel}
	var (
		caseID  sql.NullInt64
		created sql.NullInt64
	)
	err := t.q.QueryRowContext(t.ctx, `SELECT reason, detail, case_id, created_at FROM suppressions
		WHERE customer_id = ? AND channel = ?`, customerID, channel).Scan(&s.Reason, &s.Detail, &caseID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return recoup.Suppression{}, recoup.Errorf(recoup.ENOTFOUND, "no suppression of %s on %s", customerID, channel)
	}
	if err != nil {
		return recoup.Suppression{}, wrap(err, "suppression of %s on %s", customerID, channel)
	}
	s.CaseID, s.CreatedAt = caseID.Int64, timeOf(created)
	return s, nil
}
