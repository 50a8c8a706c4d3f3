package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// caseColumns are the columns scanCase reads, in its order.
const caseColumns = `id, invoice_id, customer_id, subscription_id, customer_email, amount, currency,
	state, category, last_decline, payment_method_id, new_payment_method_id, attempts,
	stripe_attempts, first_failed_at, last_attempt_at, next_seq, next_kind, next_at, next_reason,
	plan_seq, recovered_by, final_action, closed_reason, created_at, updated_at, resolved_at,
	segment, review, reviewed_by, shadow_charges, customer_country, customer_region, card_source,
	new_card_source, experiment, arm, taken_over_at, takeover_round, backup, version`

// scanCase reads a row of caseColumns.
func scanCase(s scanner) (recoup.Case, error) {
	var (
		c                                recoup.Case
		decline                          []byte
		nextSeq                          *int
		nextKind, nextReason             *string
		firstFailed, lastAttempt, nextAt *time.Time
		createdAt, updatedAt, resolvedAt *time.Time
		takenOverAt                      *time.Time
	)
	err := s.Scan(&c.ID, &c.InvoiceID, &c.CustomerID, &c.SubscriptionID, &c.CustomerEmail,
		&c.Amount.Amount, &c.Amount.Currency, &c.State, &c.Category, &decline, &c.PaymentMethodID,
		&c.NewPaymentMethodID, &c.Attempts, &c.StripeAttempts, &firstFailed, &lastAttempt,
		&nextSeq, &nextKind, &nextAt, &nextReason, &c.PlanSeq, &c.RecoveredBy, &c.FinalAction,
		&c.ClosedReason, &createdAt, &updatedAt, &resolvedAt, &c.Segment, &c.Review, &c.ReviewedBy,
		&c.ShadowCharges, &c.CustomerCountry, &c.CustomerRegion, &c.CardSource, &c.NewCardSource,
		&c.Experiment, &c.Arm, &takenOverAt, &c.TakeoverRound, &c.Backup, &c.Version)
	if err != nil {
		return recoup.Case{}, err
	}
	if c.LastDecline, err = declineOf(decline); err != nil {
		return recoup.Case{}, err
	}
	c.FirstFailedAt = timeOf(firstFailed)
	c.LastAttemptAt = timeOf(lastAttempt)
	if nextSeq != nil {
		c.NextAction = &recoup.Action{Seq: *nextSeq, At: timeOf(nextAt)}
		if nextKind != nil {
			c.NextAction.Kind = recoup.ActionKind(*nextKind)
		}
		if nextReason != nil {
			c.NextAction.Reason = *nextReason
		}
	}
	c.CreatedAt = timeOf(createdAt)
	c.UpdatedAt = timeOf(updatedAt)
	c.ResolvedAt = timeOf(resolvedAt)
	c.TakenOverAt = timeOf(takenOverAt)
	return c, nil
}

// caseArgs returns the values of every column but id and version, in caseColumns order.
func caseArgs(c *recoup.Case) ([]any, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	decline, err := declineArg(c.LastDecline)
	if err != nil {
		return nil, err
	}
	var nextSeq, nextKind, nextAt, nextReason any
	if a := c.NextAction; a != nil {
		nextSeq, nextKind, nextAt, nextReason = a.Seq, string(a.Kind), timeArg(a.At), a.Reason
	}
	return []any{c.InvoiceID, c.CustomerID, c.SubscriptionID, c.CustomerEmail, c.Amount.Amount,
		c.Amount.Currency, string(c.State), string(c.Category), decline, c.PaymentMethodID,
		c.NewPaymentMethodID, c.Attempts, c.StripeAttempts, timeArg(c.FirstFailedAt),
		timeArg(c.LastAttemptAt), nextSeq, nextKind, nextAt, nextReason, c.PlanSeq,
		string(c.RecoveredBy), string(c.FinalAction), c.ClosedReason, timeArg(c.CreatedAt),
		timeArg(c.UpdatedAt), timeArg(c.ResolvedAt), c.Segment, string(c.Review), c.ReviewedBy,
		c.ShadowCharges, c.CustomerCountry, c.CustomerRegion, string(c.CardSource), string(c.NewCardSource),
		c.Experiment, c.Arm, timeArg(c.TakenOverAt), c.TakeoverRound, string(c.Backup)}, nil
}

// getCase reads the one case matching where (which may end in FOR UPDATE); ENOTFOUND if there
// is none.
func getCase(ctx context.Context, q querier, where string, arg any) (recoup.Case, error) {
	c, err := scanCase(q.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Case{}, recoup.Errorf(recoup.ENOTFOUND, "no such case")
	}
	return c, err
}

func (t *tx) Case(id int64) (recoup.Case, error) {
	c, err := getCase(t.ctx, t.tx, `id = $1 FOR UPDATE`, id)
	if err != nil {
		return recoup.Case{}, wrap(err, "case %d", id)
	}
	return c, nil
}

func (t *tx) CaseByInvoice(invoiceID string) (recoup.Case, error) {
	c, err := getCase(t.ctx, t.tx, `invoice_id = $1 FOR UPDATE`, invoiceID)
	if err != nil {
		return recoup.Case{}, wrap(err, "case of invoice %s", invoiceID)
	}
	return c, nil
}

func (t *tx) OpenCases(customerID, subscriptionID string) ([]recoup.Case, error) {
	var open []string
	for _, s := range recoup.CaseStates {
		if !s.Terminal() {
			open = append(open, string(s))
		}
	}
	// Ordered by ID, so that transactions locking several cases lock them in the same order.
	rows, err := t.tx.Query(t.ctx, `SELECT `+caseColumns+` FROM cases
		WHERE customer_id = $1 AND ($2 = '' OR subscription_id = $2) AND state = ANY($3)
		ORDER BY id FOR UPDATE`, customerID, subscriptionID, open)
	if err != nil {
		return nil, wrap(err, "open cases of customer %s", customerID)
	}
	cases, err := collect(rows, scanCase)
	if err != nil {
		return nil, wrap(err, "open cases of customer %s", customerID)
	}
	return cases, nil
}

func (t *tx) CountCustomerCases(customerID string) (int, error) {
	var n int
	if err := t.tx.QueryRow(t.ctx, `SELECT count(*) FROM cases WHERE customer_id = $1`, customerID).Scan(&n); err != nil {
		return 0, wrap(err, "count cases of customer %s", customerID)
	}
	return n, nil
}

func (t *tx) PastCases(customerID string, before time.Time, limit int) ([]recoup.Case, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+caseColumns+` FROM cases
		WHERE customer_id = $1 AND resolved_at < $2 ORDER BY resolved_at DESC, id DESC LIMIT $3`,
		customerID, before, limit)
	if err != nil {
		return nil, wrap(err, "past cases of customer %s", customerID)
	}
	cases, err := collect(rows, scanCase)
	if err != nil {
		return nil, wrap(err, "past cases of customer %s", customerID)
	}
	return cases, nil
}

func (t *tx) CreateCase(c *recoup.Case) error {
	if c.ID != 0 {
		return recoup.Errorf(recoup.EINVALID, "create case %d: the case already has an ID", c.ID)
	}
	args, err := caseArgs(c)
	if err != nil {
		return wrap(err, "create case for invoice %s", c.InvoiceID)
	}
	// ON CONFLICT DO NOTHING rather than a unique violation, which would abort the transaction:
	// a conflict is an answer the caller may act on in the same transaction.
	var id int64
	err = t.tx.QueryRow(t.ctx, `INSERT INTO cases (
		invoice_id, customer_id, subscription_id, customer_email, amount, currency, state,
		category, last_decline, payment_method_id, new_payment_method_id, attempts,
		stripe_attempts, first_failed_at, last_attempt_at, next_seq, next_kind, next_at,
		next_reason, plan_seq, recovered_by, final_action, closed_reason, created_at, updated_at,
		resolved_at, segment, review, reviewed_by, shadow_charges, customer_country, customer_region,
		card_source, new_card_source, experiment, arm, taken_over_at, takeover_round, backup, version
	) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
		$19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36,
		$37, $38, $39, 1)
	ON CONFLICT (invoice_id) DO NOTHING
	RETURNING id`, args...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Errorf(recoup.ECONFLICT, "create case for invoice %s: the invoice has a case", c.InvoiceID)
	}
	if err != nil {
		return wrap(err, "create case for invoice %s", c.InvoiceID)
	}
	c.ID, c.Version = id, 1
	return nil
}

func (t *tx) UpdateCase(c *recoup.Case) error {
	args, err := caseArgs(c)
	if err != nil {
		return wrap(err, "update case %d", c.ID)
	}
	tag, err := t.tx.Exec(t.ctx, `UPDATE cases SET
		invoice_id = $1, customer_id = $2, subscription_id = $3, customer_email = $4,
		amount = $5, currency = $6, state = $7, category = $8, last_decline = $9,
		payment_method_id = $10, new_payment_method_id = $11, attempts = $12,
		stripe_attempts = $13, first_failed_at = $14, last_attempt_at = $15, next_seq = $16,
		next_kind = $17, next_at = $18, next_reason = $19, plan_seq = $20, recovered_by = $21,
		final_action = $22, closed_reason = $23, created_at = $24, updated_at = $25,
		resolved_at = $26, segment = $27, review = $28, reviewed_by = $29, shadow_charges = $30,
		customer_country = $31, customer_region = $32, card_source = $33, new_card_source = $34,
		experiment = $35, arm = $36, taken_over_at = $37, takeover_round = $38, backup = $39, version = version + 1
	WHERE id = $40 AND version = $41`, append(args, c.ID, c.Version)...)
	if err != nil {
		return wrap(err, "update case %d", c.ID)
	}
	if tag.RowsAffected() == 0 {
		// Tell a stale version from a missing case.
		current, err := getCase(t.ctx, t.tx, `id = $1`, c.ID)
		if err != nil {
			return wrap(err, "update case %d", c.ID)
		}
		return recoup.Errorf(recoup.ECONFLICT, "update case %d: version %d is stale, the case is at version %d",
			c.ID, c.Version, current.Version)
	}
	c.Version++
	return nil
}

func (s *Store) Case(ctx context.Context, id int64) (recoup.Case, error) {
	c, err := getCase(ctx, s.db.pool, `id = $1`, id)
	if err != nil {
		return recoup.Case{}, wrap(err, "case %d", id)
	}
	return c, nil
}

func (s *Store) Cases(ctx context.Context, f recoup.CaseFilter) (recoup.CasePage, error) {
	limit, err := f.PageLimit()
	if err != nil {
		return recoup.CasePage{}, err
	}
	var where []string
	var args []any
	if f.State != "" {
		args = append(args, string(f.State))
		where = append(where, fmt.Sprintf(`state = $%d`, len(args)))
	}
	if f.Before != 0 {
		args = append(args, f.Before)
		where = append(where, fmt.Sprintf(`id < $%d`, len(args)))
	}
	if f.CustomerID != "" {
		args = append(args, f.CustomerID)
		where = append(where, fmt.Sprintf(`customer_id = $%d`, len(args)))
	}
	query := `SELECT ` + caseColumns + ` FROM cases`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	// One row more than the page tells whether there is a next page.
	args = append(args, limit+1)
	query += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := s.db.pool.Query(ctx, query, args...)
	if err != nil {
		return recoup.CasePage{}, wrap(err, "list cases")
	}
	cases, err := collect(rows, scanCase)
	if err != nil {
		return recoup.CasePage{}, wrap(err, "list cases")
	}
	return recoup.NewCasePage(cases, limit), nil
}

func (s *Store) CountCases(ctx context.Context) (map[recoup.CaseState]int, error) {
	// From the rollup the triggers keep (a row per day, currency, state, category and
	// recovery): a scrape does not count every case.
	rows, err := s.db.pool.Query(ctx, `SELECT state, sum(cases)::bigint FROM case_rollup GROUP BY state`)
	if err != nil {
		return nil, wrap(err, "count cases")
	}
	type count struct {
		state recoup.CaseState
		n     int
	}
	counted, err := collect(rows, func(r scanner) (count, error) {
		var c count
		err := r.Scan(&c.state, &c.n)
		return c, err
	})
	if err != nil {
		return nil, wrap(err, "count cases")
	}
	counts := make(map[recoup.CaseState]int, len(recoup.CaseStates))
	for _, st := range recoup.CaseStates {
		counts[st] = 0
	}
	for _, c := range counted {
		counts[c.state] = c.n
	}
	return counts, nil
}
