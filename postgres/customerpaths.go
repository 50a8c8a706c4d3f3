package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO offer_choices (case_id, offer, segment, chosen_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (case_id, offer) DO NOTHING`,
		c.CaseID, string(c.Offer), c.Segment, timeArg(c.At))
	if isForeignKey(err) {
		return false, recoup.Errorf(recoup.ENOTFOUND, "record offer choice of case %d: no such case", c.CaseID)
	}
	if err != nil {
		return false, wrap(err, "record offer choice of case %d", c.CaseID)
	}
	return tag.RowsAffected() > 0, nil
}

func (s *Store) OfferCounts(ctx context.Context, from, to time.Time) ([]recoup.OfferCount, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT offer, count(*) FROM offer_choices
		WHERE chosen_at >= $1 AND chosen_at < $2 GROUP BY offer`, from, to)
	if err != nil {
		return nil, wrap(err, "offer counts")
	}
	out, err := collect(rows, func(r scanner) (c recoup.OfferCount, err error) {
		return c, r.Scan(&c.Offer, &c.Chosen)
	})
	if err != nil {
		return nil, wrap(err, "offer counts")
	}
	slices.SortFunc(out, func(a, b recoup.OfferCount) int {
		return slices.Index(recoup.AllOffers, a.Offer) - slices.Index(recoup.AllOffers, b.Offer)
	})
	return out, nil
}

func (t *tx) SMSConsent(phone string) (recoup.SMSConsent, error) {
	c := recoup.SMSConsent{Phone: phone}
	var at *time.Time
	err := t.tx.QueryRow(t.ctx, `SELECT customer_id, consented, source, updated_at FROM sms_consents WHERE phone = $1`,
		phone).Scan(&c.CustomerID, &c.Consented, &c.Source, &at)
	if errors.Is(err, pgx.ErrNoRows) {
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
	_, err := t.tx.Exec(t.ctx, `INSERT INTO sms_consents (phone, customer_id, consented, source, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (phone) DO UPDATE SET
			customer_id = CASE WHEN excluded.customer_id <> '' THEN excluded.customer_id ELSE sms_consents.customer_id END,
			consented = excluded.consented, source = excluded.source, updated_at = excluded.updated_at`,
		c.Phone, c.CustomerID, c.Consented, c.Source, timeArg(c.UpdatedAt))
	return wrapNil(err, "store sms consent")
}

func (t *tx) RecordMessageCost(c recoup.MessageCost) error {
	if c.MessageID == 0 || c.Channel == "" || c.At.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "record message cost: message, channel and time are required")
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO message_costs
		(message_id, case_id, channel, provider_id, segments, cost_micros, currency, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (message_id) DO NOTHING`,
		c.MessageID, c.CaseID, c.Channel, c.ProviderID, c.Segments, c.CostMicros, c.Currency, timeArg(c.At))
	return wrapNil(err, "record message cost")
}

func (s *Store) ChannelCosts(ctx context.Context, from, to time.Time) ([]recoup.ChannelCost, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT channel, currency, count(*), coalesce(sum(cost_micros), 0)::bigint
		FROM message_costs WHERE created_at >= $1 AND created_at < $2
		GROUP BY channel, currency ORDER BY channel, currency`, from, to)
	if err != nil {
		return nil, wrap(err, "channel costs")
	}
	out, err := collect(rows, func(r scanner) (c recoup.ChannelCost, err error) {
		return c, r.Scan(&c.Channel, &c.Currency, &c.Messages, &c.CostMicros)
	})
	if err != nil {
		return nil, wrap(err, "channel costs")
	}
	return out, nil
}
