package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// Export, erasure and retention of customers' personal data (recoup.PersonalDataStore). The
// tables are found by their columns (customer_id, case_id) in the schema in use, so a table a
// later migration adds is exported and pseudonymised without a change here;
// recoup.PersonalColumns names the fields emptied.

var _ recoup.PersonalDataStore = (*Store)(nil)

type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// customerTables lists the tables with a customer_id column and those with a case_id column
// but none, in name order.
func customerTables(ctx context.Context, q queryer) (byCustomer, byCase []string, err error) {
	rows, err := q.Query(ctx, `SELECT c.table_name, c.column_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		AND c.column_name IN ('customer_id', 'case_id') ORDER BY c.table_name`)
	if err != nil {
		return nil, nil, wrap(err, "list the tables of customers")
	}
	defer rows.Close()
	cols := map[string][]string{}
	var names []string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, nil, wrap(err, "list the tables of customers")
		}
		if cols[t] == nil {
			names = append(names, t)
		}
		cols[t] = append(cols[t], c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, wrap(err, "list the tables of customers")
	}
	for _, t := range names {
		if slices.Contains(cols[t], "customer_id") {
			byCustomer = append(byCustomer, t)
		} else {
			byCase = append(byCase, t)
		}
	}
	return byCustomer, byCase, nil
}

// ExportCustomer returns every row that names the customer or one of their cases.
func (s *Store) ExportCustomer(ctx context.Context, customerID string) (recoup.CustomerExport, error) {
	if err := recoup.ValidCustomerID(customerID); err != nil {
		return recoup.CustomerExport{}, err
	}
	tx, err := s.db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return recoup.CustomerExport{}, wrap(err, "export customer %s", customerID)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	byCustomer, byCase, err := customerTables(ctx, tx)
	if err != nil {
		return recoup.CustomerExport{}, err
	}
	out := recoup.CustomerExport{CustomerID: customerID, Tables: map[string][]map[string]any{}}
	read := func(table, where string) error {
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT * FROM %s WHERE %s`, pgx.Identifier{table}.Sanitize(), where), customerID)
		if err != nil {
			return wrap(err, "export customer %s: %s", customerID, table)
		}
		got, err := pgx.CollectRows(rows, pgx.RowToMap)
		if err != nil {
			return wrap(err, "export customer %s: %s", customerID, table)
		}
		for _, m := range got {
			for k, v := range m {
				if b, ok := v.([]byte); ok {
					m[k] = exportBytes(b)
				}
			}
		}
		if len(got) > 0 {
			out.Tables[table] = got
		}
		return nil
	}
	for _, t := range byCustomer {
		if err := read(t, "customer_id = $1"); err != nil {
			return recoup.CustomerExport{}, err
		}
	}
	for _, t := range byCase {
		if err := read(t, "case_id IN (SELECT id FROM cases WHERE customer_id = $1)"); err != nil {
			return recoup.CustomerExport{}, err
		}
	}
	if len(out.Tables) == 0 {
		return recoup.CustomerExport{}, recoup.Errorf(recoup.ENOTFOUND, "export customer %s: nothing stored about this customer", customerID)
	}
	return out, nil
}

// exportBytes keeps bytes holding JSON (an event's payload) as JSON, and other bytes as text.
func exportBytes(b []byte) any {
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') && json.Valid(b) {
		return json.RawMessage(b)
	}
	return string(b)
}

// EraseCustomer pseudonymises the customer in one transaction: personal fields emptied, then
// the id replaced wherever it is stored.
func (s *Store) EraseCustomer(ctx context.Context, customerID, pseudonym string) (recoup.Erased, error) {
	if err := recoup.ValidCustomerID(customerID); err != nil {
		return recoup.Erased{}, err
	}
	out := recoup.Erased{Pseudonym: pseudonym}
	tx, err := s.db.pool.Begin(ctx)
	if err != nil {
		return out, wrap(err, "erase customer %s", customerID)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	byCustomer, byCase, err := customerTables(ctx, tx)
	if err != nil {
		return out, err
	}
	exec := func(q string, args ...any) (int64, error) {
		tag, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return 0, wrap(err, "erase customer %s", customerID)
		}
		return tag.RowsAffected(), nil
	}
	blank := func(table, where string) error {
		for _, c := range recoup.PersonalColumns(table) {
			empty := "''"
			if c == "payload" {
				empty = "''::bytea"
			}
			col := pgx.Identifier{c}.Sanitize()
			n, err := exec(fmt.Sprintf(`UPDATE %s SET %s = %s WHERE %s AND %s <> %s`, pgx.Identifier{table}.Sanitize(), col, empty, where, col, empty), customerID)
			if err != nil {
				return err
			}
			out.Fields += n
		}
		return nil
	}
	for _, t := range byCase {
		if err := blank(t, "case_id IN (SELECT id FROM cases WHERE customer_id = $1)"); err != nil {
			return out, err
		}
	}
	// A phone number's consent to texts goes with the customer; an opt-out (STOP) stays, under
	// the pseudonym, so that the number is never texted again (as an email suppression stays).
	n, err := exec(`DELETE FROM sms_consents WHERE customer_id = $1 AND consented`, customerID)
	if err != nil {
		return out, err
	}
	out.Rows += n
	for _, t := range byCustomer {
		if err := blank(t, "customer_id = $1"); err != nil {
			return out, err
		}
		set := "customer_id = $1"
		if t == "cases" {
			set += ", version = version + 1"
		}
		n, err := exec(fmt.Sprintf(`UPDATE %s SET %s WHERE customer_id = $2`, pgx.Identifier{t}.Sanitize(), set), pseudonym, customerID)
		if err != nil {
			return out, err
		}
		out.Rows += n
	}
	if out.Rows == 0 {
		return out, recoup.Errorf(recoup.ENOTFOUND, "erase customer %s: nothing stored about this customer", customerID)
	}
	if err := tx.Commit(ctx); err != nil {
		return out, wrap(err, "erase customer %s", customerID)
	}
	return out, nil
}

// Purge empties the payloads and message texts past their retention (see
// recoup.PersonalDataStore).
func (s *Store) Purge(ctx context.Context, before time.Time) (recoup.Purged, error) {
	var out recoup.Purged
	tx, err := s.db.pool.Begin(ctx)
	if err != nil {
		return out, wrap(err, "purge personal data")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	exec := func(dst *int64, q string, args ...any) error {
		tag, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return wrap(err, "purge personal data")
		}
		*dst += tag.RowsAffected()
		return nil
	}
	at := timeArg(before)
	if err := exec(&out.Payloads, `UPDATE events SET payload = ''::bytea
		WHERE length(payload) > 0 AND (status = 'ignored' OR (status <> 'pending' AND received_at < $1))`, at); err != nil {
		return out, err
	}
	if err := exec(&out.Messages, `UPDATE messages SET body = '', html = '', generation = ''
		WHERE created_at < $1 AND (body <> '' OR html <> '' OR generation <> '')`, at); err != nil {
		return out, err
	}
	if err := exec(&out.Messages, `UPDATE notices SET body = '', html = ''
		WHERE created_at < $1 AND (body <> '' OR html <> '')`, at); err != nil {
		return out, err
	}
	if err := tx.Commit(ctx); err != nil {
		return out, wrap(err, "purge personal data")
	}
	return out, nil
}
