package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

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
		decline, nextKind, nextReason    sql.NullString
		nextSeq                          sql.NullInt64
		firstFailed, lastAttempt, nextAt sql.NullInt64
		createdAt, updatedAt, resolvedAt sql.NullInt64
		takenOverAt                      sql.NullInt64
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
	if nextSeq.Valid {
		c.NextAction = &recoup.Action{
			Seq:    int(nextSeq.Int64),
			Kind:   recoup.ActionKind(nextKind.String),
			At:     timeOf(nextAt),
			Reason: nextReason.String,
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

// getCase reads the one case matching where; ENOTFOUND if there is none.
func getCase(ctx context.Context, q querier, where string, arg any) (recoup.Case, error) {
	c, err := scanCase(q.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return recoup.Case{}, recoup.Errorf(recoup.ENOTFOUND, "no such case")
	}
	return c, err
}

func (t *tx) Case(id int64) (recoup.Case, error) {
	c, err := t.readCase(`id = ?`, id)
	if err != nil {
		return recoup.Case{}, wrap(err, "case %d", id)
	}
	return c, nil
}

func (t *tx) CaseByInvoice(invoiceID string) (recoup.Case, error) {
	c, err := t.readCase(`invoice_id = ?`, invoiceID)
	if err != nil {
		return recoup.Case{}, wrap(err, "case of invoice %s", invoiceID)
	}
	return c, nil
}

// readCase reads the case matching where through the case cache (casecache.go).
func (t *tx) readCase(where string, arg any) (recoup.Case, error) {
	c, read, fromRow, err := readCase(t.ctx, t.q, t.cc, t.staged, where, arg)
	if err != nil {
		return recoup.Case{}, err
	}
	switch s, ok := t.staged[c.ID]; {
	case fromRow:
		t.stage(read)
	case !ok || s.Version != c.Version: // from the shared cache
		t.stage(c.Clone())
	}
	return c, nil
}

func (t *tx) OpenCases(customerID, subscriptionID string) ([]recoup.Case, error) {
	query := `SELECT ` + caseColumns + ` FROM cases WHERE customer_id = ?`
	args := []any{customerID}
	if subscriptionID != "" {
		query += ` AND subscription_id = ?`
		args = append(args, subscriptionID)
	}
	var states []string
	for _, s := range recoup.CaseStates {
		if !s.Terminal() {
			states = append(states, "?")
			args = append(args, string(s))
		}
	}
	query += ` AND state IN (` + strings.Join(states, ", ") + `) ORDER BY id`
	cases, err := listCases(t.ctx, t.q, query, args...)
	if err != nil {
		return nil, wrap(err, "open cases of customer %s", customerID)
	}
	for i := range cases {
		t.stage(cases[i].Clone())
	}
	return cases, nil
}

func listCases(ctx context.Context, q querier, query string, args ...any) ([]recoup.Case, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cases := []recoup.Case{}
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, rows.Err()
}

func (t *tx) CountCustomerCases(customerID string) (int, error) {
	var n int
	if err := t.q.QueryRowContext(t.ctx, `SELECT count(*) FROM cases WHERE customer_id = ?`, customerID).Scan(&n); err != nil {
		return 0, wrap(err, "count cases of customer %s", customerID)
	}
	return n, nil
}

// resolvedSet lets a scratch database answer that a customer has no resolved case without a
// query (keyset.go): the timing model asks at every retry, and in the simulator every customer
// has a single case.
func resolvedSet() *keySet[string] {
	return &keySet[string]{query: `SELECT DISTINCT customer_id FROM cases WHERE resolved_at IS NOT NULL`,
		scan: func(rows *sql.Rows) (k string, err error) { return k, rows.Scan(&k) }}
}

// noteResolved notes a resolved case written, for resolvedSet.
func (t *tx) noteResolved(c *recoup.Case) {
	if !c.ResolvedAt.IsZero() {
		t.resolved.add(c.CustomerID)
	}
}

func (t *tx) PastCases(customerID string, before time.Time, limit int) ([]recoup.Case, error) {
	switch none, err := t.resolved.none(t.ctx, t.q, customerID); {
	case err != nil:
		return nil, wrap(err, "past cases of customer %s", customerID)
	case none:
		return []recoup.Case{}, nil
	}
	// The limit is written into the statement: SQLite prepares a statement with a bound LIMIT
	// again at every call.
	cases, err := listCases(t.ctx, t.q, `SELECT `+caseColumns+` FROM cases
		WHERE customer_id = ? AND resolved_at < ? ORDER BY resolved_at DESC, id DESC LIMIT `+strconv.Itoa(limit),
		customerID, before.UnixMicro())
	if err != nil {
		return nil, wrap(err, "past cases of customer %s", customerID)
	}
	return cases, nil
}

func (t *tx) CreateCase(c *recoup.Case) error {
	if c.ID != 0 {
		return recoup.Errorf(recoup.EINVALID, "create case %d: the case already has an ID", c.ID)
	}
	t.noteResolved(c)
	args, err := caseArgs(c)
	if err != nil {
		return wrap(err, "create case for invoice %s", c.InvoiceID)
	}
	id, inserted, err := insertID(t.ctx, t.q, `INSERT INTO cases (
		invoice_id, customer_id, subscription_id, customer_email, amount, currency, state,
		category, last_decline, payment_method_id, new_payment_method_id, attempts,
		stripe_attempts, first_failed_at, last_attempt_at, next_seq, next_kind, next_at,
		next_reason, plan_seq, recovered_by, final_action, closed_reason, created_at, updated_at,
		resolved_at, segment, review, reviewed_by, shadow_charges, customer_country, customer_region,
		card_source, new_card_source, experiment, arm, taken_over_at, takeover_round, backup, version
	) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
	ON CONFLICT (invoice_id) DO NOTHING`, args...)
	if err == nil && !inserted {
		return recoup.Errorf(recoup.ECONFLICT, "create case for invoice %s: the invoice has a case", c.InvoiceID)
	}
	if err != nil {
		return wrap(err, "create case for invoice %s", c.InvoiceID)
	}
	c.ID, c.Version = id, 1
	return t.stageWritten(c)
}

// stageWritten stages c, just written, as its row now reads.
func (t *tx) stageWritten(c *recoup.Case) error {
	s, err := storedCase(c)
	if err != nil {
		return wrap(err, "cache case %d", c.ID)
	}
	t.stage(s)
	return nil
}

func (t *tx) UpdateCase(c *recoup.Case) error {
	t.noteResolved(c)
	args, err := caseArgs(c)
	if err != nil {
		return wrap(err, "update case %d", c.ID)
	}
	query := `UPDATE cases SET
		invoice_id = ?, customer_id = ?, subscription_id = ?, customer_email = ?, amount = ?,
		currency = ?, state = ?, category = ?, last_decline = ?, payment_method_id = ?,
		new_payment_method_id = ?, attempts = ?, stripe_attempts = ?, first_failed_at = ?,
		last_attempt_at = ?, next_seq = ?, next_kind = ?, next_at = ?, next_reason = ?,
		plan_seq = ?, recovered_by = ?, final_action = ?, closed_reason = ?, created_at = ?,
		updated_at = ?, resolved_at = ?, segment = ?, review = ?, reviewed_by = ?,
		shadow_charges = ?, customer_country = ?, customer_region = ?, card_source = ?,
		new_card_source = ?, experiment = ?, arm = ?, taken_over_at = ?, takeover_round = ?, backup = ?, version = version + 1
	WHERE id = ? AND version = ?`
	if old, ok := t.staged[c.ID]; ok && old.Version == c.Version {
		skip := unchangedIndexed(indexedOf(&old), c)
		query, args = updateCaseQuery(skip), without(args, skip)
	}
	res, err := t.q.ExecContext(t.ctx, query, append(args, c.ID, c.Version)...)
	if err != nil {
		return wrap(err, "update case %d", c.ID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(err, "update case %d", c.ID)
	}
	if n == 0 {
		// Tell a stale version from a missing case.
		current, err := getCase(t.ctx, t.q, `id = ?`, c.ID)
		if err != nil {
			return wrap(err, "update case %d", c.ID)
		}
		return recoup.Errorf(recoup.ECONFLICT, "update case %d: version %d is stale, the case is at version %d",
			c.ID, c.Version, current.Version)
	}
	c.Version++
	return t.stageWritten(c)
}

func (s *Store) Case(ctx context.Context, id int64) (recoup.Case, error) {
	c, read, fromRow, err := readCase(ctx, s.db.reader(), s.db.cases, nil, `id = ?`, id)
	if err != nil {
		return recoup.Case{}, wrap(err, "case %d", id)
	}
	if fromRow {
		// The read pool sees committed rows only.
		s.db.cases.Put(map[int64]recoup.Case{read.ID: read})
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
		where, args = append(where, `state = ?`), append(args, string(f.State))
	}
	if f.Before != 0 {
		where, args = append(where, `id < ?`), append(args, f.Before)
	}
	if f.CustomerID != "" {
		where, args = append(where, `customer_id = ?`), append(args, f.CustomerID)
	}
	query := `SELECT ` + caseColumns + ` FROM cases`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	// One row more than the page tells whether there is a next page.
	query += ` ORDER BY id DESC LIMIT ?`
	cases, err := listCases(ctx, s.db.reader(), query, append(args, limit+1)...)
	if err != nil {
		return recoup.CasePage{}, wrap(err, "list cases")
	}
	return recoup.NewCasePage(cases, limit), nil
}

func (s *Store) CountCases(ctx context.Context) (map[recoup.CaseState]int, error) {
	// From the rollup the triggers keep (a row per day, currency, state, category and
	// recovery): a scrape does not count every case.
	// A scratch database keeps no rollups (analytics.go): the simulator counts the rows.
	q := `SELECT state, sum(cases) FROM case_rollup GROUP BY state`
	if s.db.scratch {
		q = `SELECT state, count(*) FROM cases GROUP BY state`
	}
	rows, err := s.db.reader().QueryContext(ctx, q)
	if err != nil {
		return nil, wrap(err, "count cases")
	}
	defer rows.Close()
	counts := make(map[recoup.CaseState]int, len(recoup.CaseStates))
	for _, st := range recoup.CaseStates {
		counts[st] = 0
	}
	for rows.Next() {
		var st recoup.CaseState
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, wrap(err, "count cases")
		}
		counts[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "count cases")
	}
	return counts, nil
}
