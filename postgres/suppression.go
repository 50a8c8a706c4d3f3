package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// The suppression list: customers who receive nothing more on a channel.

func (t *tx) InsertSuppression(s *recoup.Suppression) error {
	if err := s.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "insert suppression of %s on %s: %w", s.CustomerID, s.Channel, err)
	}
	var caseID any
	if s.CaseID != 0 {
		caseID = s.CaseID
	}
	// The first record stands: a later bounce or a second unsubscribe adds nothing.
	_, err := t.tx.Exec(t.ctx, `INSERT INTO suppressions
		(customer_id, channel, reason, detail, case_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (customer_id, channel) DO NOTHING`,
		s.CustomerID, s.Channel, string(s.Reason), s.Detail, caseID, timeArg(s.CreatedAt))
	if err != nil {
		return wrap(err, "insert suppression of %s on %s", s.CustomerID, s.Channel)
	}
	return nil
}

func (t *tx) Suppression(customerID, channel string) (recoup.Suppression, error) {
	s := recoup.Suppression{CustomerID: customerID, Channel: channel}
	var (
		caseID  *int64
		created *time.Time
	)
	err := t.tx.QueryRow(t.ctx, `SELECT reason, detail, case_id, created_at FROM suppressions
		WHERE customer_id = $1 AND channel = $2`, customerID, channel).Scan(&s.Reason, &s.Detail, &caseID, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Suppression{}, recoup.Errorf(recoup.ENOTFOUND, "no suppression of %s on %s", customerID, channel)
	}
	if err != nil {
		return recoup.Suppression{}, wrap(err, "suppression of %s on %s", customerID, channel)
	}
	if caseID != nil {
		s.CaseID = *caseID
	}
	s.CreatedAt = timeOf(created)
	return s, nil
}
