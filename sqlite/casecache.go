package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite/cache"
)

// The case cache's part in the store (the cache itself, and why: package cache): reading a case
// through it, and what a transaction keeps of the cases it read or wrote until it commits
// (tx.staged). A case written by CreateCase or UpdateCase is cached as a read of its row would
// return it (storedCase: times to the microsecond in UTC, the decline through its JSON).

// storedCase returns c as a read of the row CreateCase or UpdateCase wrote for it returns it:
// through the same encodings (caseArgs' timeArg and declineArg) and decodings (scanCase's).
// Strings and integers are stored as they are (the tables are STRICT).
func storedCase(c *recoup.Case) (recoup.Case, error) {
	s := *c
	var err error
	if s.LastDecline, err = storedDecline(c.LastDecline); err != nil {
		return recoup.Case{}, err
	}
	s.FirstFailedAt, s.LastAttemptAt = storedTime(c.FirstFailedAt), storedTime(c.LastAttemptAt)
	s.CreatedAt, s.UpdatedAt, s.ResolvedAt = storedTime(c.CreatedAt), storedTime(c.UpdatedAt), storedTime(c.ResolvedAt)
	s.TakenOverAt = storedTime(c.TakenOverAt)
	if a := c.NextAction; a != nil {
		s.NextAction = &recoup.Action{Seq: a.Seq, Kind: a.Kind, At: storedTime(a.At), Reason: a.Reason}
	}
	return s, nil
}

func storedTime(t time.Time) time.Time {
	v, _ := timeArg(t).(int64)
	return timeOf(sql.NullInt64{Int64: v, Valid: !t.IsZero()})
}

func storedDecline(d *recoup.Decline) (*recoup.Decline, error) {
	v, err := declineArg(d)
	if err != nil || v == nil {
		return nil, err
	}
	return declineOf(sql.NullString{String: v.(string), Valid: true})
}

// caseVersion returns the id and version of the case matching where (by id or by invoice).
func caseVersion(ctx context.Context, q querier, where string, arg any) (id, version int64, err error) {
	if where == `id = ?` {
		// One column: the driver builds each column's name and type for every query.
		id = arg.(int64)
		err = q.QueryRowContext(ctx, `SELECT version FROM cases WHERE id = ?`, arg).Scan(&version)
	} else {
		err = q.QueryRowContext(ctx, `SELECT id, version FROM cases WHERE `+where, arg).Scan(&id, &version)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, recoup.Errorf(recoup.ENOTFOUND, "no such case")
	}
	return id, version, err
}

// readCase reads the case matching where through the cache: staged (a transaction's own cases,
// nil outside one) first, then the shared cache, then the row. It returns the case and, when
// it read the row, a copy of it to cache.
func readCase(ctx context.Context, q querier, cc *cache.Cases, staged map[int64]recoup.Case, where string, arg any) (c, read recoup.Case, fromRow bool, err error) {
	if cc.Sole() && where == `id = ?` {
		// What the transaction read or wrote is current in it; else the committed case.
		if s, ok := staged[arg.(int64)]; ok {
			return s.Clone(), recoup.Case{}, false, nil
		}
		if c, ok := cc.Current(arg.(int64)); ok {
			return c, recoup.Case{}, false, nil
		}
	}
	if cc.Sole() && where == `invoice_id = ?` {
		invoiceID := arg.(string)
		for _, s := range staged {
			if s.InvoiceID == invoiceID {
				return s.Clone(), recoup.Case{}, false, nil
			}
		}
		// A case the transaction holds under another invoice is no longer this one's.
		if c, ok := cc.CurrentOfInvoice(invoiceID); ok && staged[c.ID].ID == 0 {
			return c, recoup.Case{}, false, nil
		}
	}
	id, version, err := caseVersion(ctx, q, where, arg)
	if err != nil {
		return recoup.Case{}, recoup.Case{}, false, err
	}
	if s, ok := staged[id]; ok && s.Version == version {
		return s.Clone(), recoup.Case{}, false, nil
	}
	if c, ok := cc.Get(id, version); ok {
		return c, recoup.Case{}, false, nil
	}
	c, err = getCase(ctx, q, `id = ?`, id)
	if err != nil {
		return recoup.Case{}, recoup.Case{}, false, err
	}
	return c, c.Clone(), true, nil
}

// stage keeps c, as stored, for the transaction's later reads, and for the shared cache once
// the transaction commits.
func (t *tx) stage(c recoup.Case) {
	if t.staged == nil {
		t.staged = make(map[int64]recoup.Case, 2)
	}
	t.staged[c.ID] = c
}
