package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
)

// Migration 00021: the offers customers chose on the card update page, SMS consent per phone
// number, and what messages cost.

var (
	_ recoup.OfferRecorder = (*tx)(nil)
	_ recoup.SMSConsents   = (*tx)(nil)
	_ recoup.CostRecorder  = (*tx)(nil)
	_ recoup.OfferStore    = (*Store)(nil)
	_ recoup.CostStore     = (*Store)(nil)
)

func (t *tx) RecordOfferChoice(c recoup.OfferChoice) (bool, error) {
	if err := c.Validate(); err != nil {
		return false, recoup.Errorf(recoup.EINVALID, "record offer choice: %w", err)
	}
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO offer_choices (case_id, offer, segment, chosen_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (case_id, offer) DO NOTHING`,
		c.CaseID, string(c.Offer), c.Segment, timeArg(c.At))
	if isForeignKey(err) {
		return false, recoup.Errorf(recoup.ENOTFOUND, "record offer choice of case %d: no such case", c.CaseID)
	}
	if err != nil {
		return false, wrap(err, "record offer choice of case %d", c.CaseID)
	}
	n, err := res.RowsAffected()
	return n > 0, wrap2(err, "record offer choice")
}

func (s *Store) OfferCounts(ctx context.Context, from, to time.Time) ([]recoup.OfferCount, error) {
	var out []recoup.OfferCount
	err := scanRows(ctx, s.db.reader(), func(rows *sql.Rows) error {
		var c recoup.OfferCount
		if err := rows.Scan(&c.Offer, &c.Chosen); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, `SELECT offer, count(*) FROM offer_choices WHERE chosen_at >= ? AND chosen_at < ? GROUP BY offer`,
		from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, wrap(err, "offer counts")
	}
	sortOffers(out)
	return out, nil
}

// sortOffers orders counts as recoup.AllOffers.
func sortOffers(out []recoup.OfferCount) {
	slices.SortFunc(out, func(a, b recoup.OfferCount) int {
		return slices.Index(recoup.AllOffers, a.Offer) - slices.Index(recoup.AllOffers, b.Offer)
	})
}

func (t *tx) SMSConsent(phone string) (recoup.SMSConsent, error) {
	c := recoup.SMSConsent{Phone: phone}
	var at sql.NullInt64
	err := t.q.QueryRowContext(t.ctx, `SELECT customer_id, consented, source, updated_at FROM sms_consents WHERE phone = ?`,
		phone).Scan(&c.CustomerID, &c.Consented, &c.Source, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return recoup.SMSConsent{}, recoup.Errorf(recoup.ENOTFOUND, "no sms consent stored for the number")
	}
	if err != nil {
		return recoup.SMSConsent{}, wrap(err, "sms consent")
	}
	c.UpdatedAt = timeOf(at)
	return c, nil
}

func (t *tx) PutSMSConsent(c *recoup.SMSConsent) error {
	if err := c.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "store sms consent: %w", err)
	}
	// A customer id once known is kept when a text from the number does not know it.
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO sms_consents (phone, customer_id, consented, source, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (phone) DO UPDATE SET
			customer_id = CASE WHEN excluded.customer_id <> '' THEN excluded.customer_id ELSE sms_consents.customer_id END,
			consented = excluded.consented, source = excluded.source, updated_at = excluded.updated_at`,
		c.Phone, c.CustomerID, c.Consented, c.Source, timeArg(c.UpdatedAt))
	return wrap2(err, "store sms consent")
}

func (t *tx) RecordMessageCost(c recoup.MessageCost) error {
	if c.MessageID == 0 || c.Channel == "" || c.At.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "record message cost: message, channel and time are required")
	}
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO message_costs
		(message_id, case_id, channel, provider_id, segments, cost_micros, currency, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
		c.MessageID, c.CaseID, c.Channel, c.ProviderID, c.Segments, c.CostMicros, c.Currency, timeArg(c.At))
	return wrap2(err, "record message cost")
}

func (s *Store) ChannelCosts(ctx context.Context, from, to time.Time) ([]recoup.ChannelCost, error) {
	var out []recoup.ChannelCost
	err := scanRows(ctx, s.db.reader(), func(rows *sql.Rows) error {
		var c recoup.ChannelCost
		if err := rows.Scan(&c.Channel, &c.Currency, &c.Messages, &c.CostMicros); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, `SELECT channel, currency, count(*), coalesce(sum(cost_micros), 0) FROM message_costs
		WHERE created_at >= ? AND created_at < ? GROUP BY channel, currency ORDER BY channel, currency`,
		from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, wrap(err, "channel costs")
	}
	return out, nil
}
