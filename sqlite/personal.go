package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
)

// Export, erasure and retention of customers' personal data (recoup.PersonalDataStore). The
// tables are found by their columns (customer_id, case_id), so a table a later migration adds
// is exported and pseudonymised without a change here; recoup.PersonalColumns names the
// fields emptied.

var _ recoup.PersonalDataStore = (*Store)(nil)

// customerTables lists the tables with a customer_id column and those with a case_id column
// but none, in name order.
func customerTables(ctx context.Context, q querier) (byCustomer, byCase []string, err error) {
	rows, err := q.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND p.name IN ('customer_id', 'case_id') ORDER BY m.name`)
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
	if err := s.db.flush(ctx); err != nil {
		return recoup.CustomerExport{}, err
	}
	q := s.db.reader()
	byCustomer, byCase, err := customerTables(ctx, q)
	if err != nil {
		return recoup.CustomerExport{}, err
	}
	out := recoup.CustomerExport{CustomerID: customerID, Tables: map[string][]map[string]any{}}
	read := func(table, where string) error {
		rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT * FROM %q WHERE %s`, table, where), customerID)
		if err != nil {
			return wrap(err, "export customer %s: %s", customerID, table)
		}
		got, err := rowMaps(rows)
		if err != nil {
			return wrap(err, "export customer %s: %s", customerID, table)
		}
		if len(got) > 0 {
			out.Tables[table] = got
		}
		return nil
	}
	for _, t := range byCustomer {
		if err := read(t, "customer_id = ?"); err != nil {
			return recoup.CustomerExport{}, err
		}
	}
	for _, t := range byCase {
		if err := read(t, "case_id IN (SELECT id FROM cases WHERE customer_id = ?)"); err != nil {
			return recoup.CustomerExport{}, err
		}
	}
	if len(out.Tables) == 0 {
		return recoup.CustomerExport{}, recoup.Errorf(recoup.ENOTFOUND, "export customer %s: nothing stored about this customer", customerID)
	}
	return out, nil
}

// rowMaps reads rows as column-to-value maps: text as text, JSON kept as JSON.
func rowMaps(rows *sql.Rows) ([]map[string]any, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			m[c] = exportValue(vals[i])
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// exportValue makes a column's value readable in JSON: bytes holding JSON (an event's payload)
// stay JSON, other bytes become text.
func exportValue(v any) any {
	var s string
	switch b := v.(type) {
	case []byte:
		s = string(b)
	case string:
		s = b
	default:
		return v
	}
	if json.Valid([]byte(s)) && (len(s) > 0 && (s[0] == '{' || s[0] == '[')) {
		return json.RawMessage(s)
	}
	return s
}

// EraseCustomer pseudonymises the customer in one transaction: personal fields emptied, then
// the id replaced wherever it is stored. The cases' versions move, so every process's case
// cache reads them again.
func (s *Store) EraseCustomer(ctx context.Context, customerID, pseudonym string) (recoup.Erased, error) {
	if err := recoup.ValidCustomerID(customerID); err != nil {
		return recoup.Erased{}, err
	}
	if err := s.db.flush(ctx); err != nil {
		return recoup.Erased{}, err
	}
	out := recoup.Erased{Pseudonym: pseudonym}
	tx, err := s.db.w.BeginTx(ctx, nil)
	if err != nil {
		return out, wrap(err, "erase customer %s", customerID)
	}
	defer tx.Rollback()
	byCustomer, byCase, err := customerTables(ctx, tx)
	if err != nil {
		return out, err
	}
	exec := func(q string, args ...any) (int64, error) {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, wrap(err, "erase customer %s", customerID)
		}
		return res.RowsAffected()
	}
	blank := func(table, where string) error {
		for _, c := range recoup.PersonalColumns(table) {
			empty := "''"
			if c == "payload" {
				empty = "X''" // a BLOB column
			}
			n, err := exec(fmt.Sprintf(`UPDATE %q SET %q = %s WHERE %s AND %q != %s`, table, c, empty, where, c, empty), customerID)
			if err != nil {
				return err
			}
			out.Fields += n
		}
		return nil
	}
	var caseIDs []int64
	rows, err := tx.QueryContext(ctx, `SELECT id FROM cases WHERE customer_id = ?`, customerID)
	if err != nil {
		return out, wrap(err, "erase customer %s", customerID)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return out, wrap(err, "erase customer %s", customerID)
		}
		caseIDs = append(caseIDs, id)
	}
	rows.Close()
	for _, t := range byCase {
		if err := blank(t, "case_id IN (SELECT id FROM cases WHERE customer_id = ?)"); err != nil {
			return out, err
		}
	}
	// A phone number's consent to texts goes with the customer; an opt-out (STOP) stays, under
	// the pseudonym, so that the number is never texted again (as an email suppression stays).
	n, err := exec(`DELETE FROM sms_consents WHERE customer_id = ? AND consented = 1`, customerID)
	if err != nil {
		return out, err
	}
	out.Rows += n
	for _, t := range byCustomer {
		if err := blank(t, "customer_id = ?"); err != nil {
			return out, err
		}
		set := "customer_id = ?"
		if t == "cases" {
			set += ", version = version + 1"
		}
		n, err := exec(fmt.Sprintf(`UPDATE %q SET %s WHERE customer_id = ?`, t, set), pseudonym, customerID)
		if err != nil {
			return out, err
		}
		out.Rows += n
	}
	if out.Rows == 0 {
		return out, recoup.Errorf(recoup.ENOTFOUND, "erase customer %s: nothing stored about this customer", customerID)
	}
	if err := tx.Commit(); err != nil {
		return out, wrap(err, "erase customer %s", customerID)
	}
	s.db.cases.Remove(caseIDs...)
	return out, nil
}

// Purge empties the payloads and message texts past their retention (see
// recoup.PersonalDataStore).
func (s *Store) Purge(ctx context.Context, before time.Time) (recoup.Purged, error) {
	var out recoup.Purged
	if err := s.db.flush(ctx); err != nil {
		return out, err
	}
	tx, err := s.db.w.BeginTx(ctx, nil)
	if err != nil {
		return out, wrap(err, "purge personal data")
	}
	defer tx.Rollback()
	exec := func(dst *int64, q string, args ...any) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return wrap(err, "purge personal data")
		}
		n, err := res.RowsAffected()
		*dst += n
		return err
	}
	at := timeArg(before)
	if err := exec(&out.Payloads, `UPDATE events SET payload = X''
		WHERE length(payload) > 0 AND (status = 'ignored' OR (status != 'pending' AND received_at < ?))`, at); err != nil {
		return out, err
	}
	if err := exec(&out.Messages, `UPDATE messages SET body = '', html = '', generation = ''
		WHERE created_at < ? AND (body != '' OR html != '' OR generation != '')`, at); err != nil {
		return out, err
	}
	if err := exec(&out.Messages, `UPDATE notices SET body = '', html = ''
		WHERE created_at < ? AND (body != '' OR html != '')`, at); err != nil {
		return out, err
	}
	if err := tx.Commit(); err != nil {
		return out, wrap(err, "purge personal data")
	}
	return out, nil
}
