package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/recoup-hq/recoup"
)

// The case cache. Reading a case was the store's costliest read: 34 columns, each converted by
// database/sql, with the driver building the result's column names and types on every query
// (a sixth of the simulator's CPU went to reading cases, 16 reads per invoice). A case is read
// far more often than it changes, and every change of a case goes through UpdateCase, which
// increments its version. So a case's content is a function of (id, version), and a read asks
// the row for its version only (one integer, by the primary key or the invoice's unique index)
// and takes the content from the cache when the cache holds that version. Another process
// writing the database (a CLI command beside the server) moves the version, so the cache then
// misses and the full row is read, as before. A migration that rewrites case rows while a
// server runs must increment their versions too.
//
// What a transaction reads or writes can be uncommitted, and a rolled-back version number is
// used again by the next update, with other content. So a transaction keeps the cases it read
// or wrote for itself (tx.staged), and they enter the shared cache only once it has committed.
// Reads outside transactions see committed rows only, and enter it directly.
//
// A case written by CreateCase or UpdateCase is cached as a read of its row would return it
// (storedCase: times to the microsecond in UTC, the decline through its JSON), so the next read
// needs no full row either.

// caseCacheSize bounds the cache. It holds the cases being worked on: a resolved case (a
// terminal state) leaves it, as it is rarely read again, so the cache follows the cases open at
// once, about 1.5 KB of the process's memory each. A case evicted is read in full once more,
// after its version, so a bound below the cases open at once loses most of the gain: the
// simulator's 100,000 invoices (about 17,000 open at once, by the failures per month and the
// 60-day window) took 4% less CPU with 16,384, 17% less with 65,536.
const caseCacheSize = 65536

// caseCache maps a case's id to its content at one version. It is safe for concurrent use; it
// holds copies and hands out copies (copyCase).
type caseCache struct {
	mu sync.Mutex
	m  map[int64]recoup.Case
	// sole is set when this process's store is the database's only writer (a scratch database
	// holds its file's lock for its life): every committed change of a case then enters the
	// cache, so a cached case is the current one and a read by id needs no version read
	// (a quarter of the simulator's queries).
	sole bool
	// byInvoice holds the cached cases' ids by invoice, when sole: a read by invoice (each
	// event's) then needs no query either.
	byInvoice map[string]int64
}

func newCaseCache(sole bool) *caseCache {
	cc := &caseCache{m: make(map[int64]recoup.Case, 1024), sole: sole}
	if sole {
		cc.byInvoice = make(map[string]int64, 1024)
	}
	return cc
}

// currentOfInvoice returns the cached case of the invoice, if the cache holds it and knows it
// to be current.
func (cc *caseCache) currentOfInvoice(invoiceID string) (recoup.Case, bool) {
	if !cc.sole {
		return recoup.Case{}, false
	}
	cc.mu.Lock()
	c, ok := cc.m[cc.byInvoice[invoiceID]]
	cc.mu.Unlock()
	if !ok || c.InvoiceID != invoiceID {
		return recoup.Case{}, false
	}
	return copyCase(c), true
}

// current returns the cached case, if the cache holds it and knows it to be current.
func (cc *caseCache) current(id int64) (recoup.Case, bool) {
	if !cc.sole {
		return recoup.Case{}, false
	}
	cc.mu.Lock()
	c, ok := cc.m[id]
	cc.mu.Unlock()
	if !ok {
		return recoup.Case{}, false
	}
	return copyCase(c), true
}

// get returns the case at the version, if cached.
func (cc *caseCache) get(id, version int64) (recoup.Case, bool) {
	cc.mu.Lock()
	c, ok := cc.m[id]
	cc.mu.Unlock()
	if !ok || c.Version != version {
		return recoup.Case{}, false
	}
	return copyCase(c), true
}

// put caches committed cases (owned by the cache from now on), unless it holds a later version.
func (cc *caseCache) put(cases map[int64]recoup.Case) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, c := range cases {
		if old, ok := cc.m[c.ID]; ok && old.Version > c.Version {
			continue
		}
		if c.State.Terminal() {
			cc.remove(c.ID)
			continue
		}
		if _, ok := cc.m[c.ID]; !ok && len(cc.m) >= caseCacheSize {
			for id := range cc.m { // evict one, at random (map order)
				cc.remove(id)
				break
			}
		}
		cc.remove(c.ID) // its invoice may have changed
		cc.m[c.ID] = c
		if cc.byInvoice != nil {
			cc.byInvoice[c.InvoiceID] = c.ID
		}
	}
}

// remove drops the case from the cache. The caller holds mu.
func (cc *caseCache) remove(id int64) {
	if old, ok := cc.m[id]; ok && cc.byInvoice != nil && cc.byInvoice[old.InvoiceID] == id {
		delete(cc.byInvoice, old.InvoiceID)
	}
	delete(cc.m, id)
}

// copyCase copies c and what it points to.
func copyCase(c recoup.Case) recoup.Case {
	if c.LastDecline != nil {
		d := *c.LastDecline
		c.LastDecline = &d
	}
	if c.NextAction != nil {
		a := *c.NextAction
		c.NextAction = &a
	}
	return c
}

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
func readCase(ctx context.Context, q querier, cc *caseCache, staged map[int64]recoup.Case, where string, arg any) (c, read recoup.Case, fromRow bool, err error) {
	if cc.sole && where == `id = ?` {
		// What the transaction read or wrote is current in it; else the committed case.
		if s, ok := staged[arg.(int64)]; ok {
			return copyCase(s), recoup.Case{}, false, nil
		}
		if c, ok := cc.current(arg.(int64)); ok {
			return c, recoup.Case{}, false, nil
		}
	}
	if cc.sole && where == `invoice_id = ?` {
		invoiceID := arg.(string)
		for _, s := range staged {
			if s.InvoiceID == invoiceID {
				return copyCase(s), recoup.Case{}, false, nil
			}
		}
		// A case the transaction holds under another invoice is no longer this one's.
		if c, ok := cc.currentOfInvoice(invoiceID); ok && staged[c.ID].ID == 0 {
			return c, recoup.Case{}, false, nil
		}
	}
	id, version, err := caseVersion(ctx, q, where, arg)
	if err != nil {
		return recoup.Case{}, recoup.Case{}, false, err
	}
	if s, ok := staged[id]; ok && s.Version == version {
		return copyCase(s), recoup.Case{}, false, nil
	}
	if c, ok := cc.get(id, version); ok {
		return c, recoup.Case{}, false, nil
	}
	c, err = getCase(ctx, q, `id = ?`, id)
	if err != nil {
		return recoup.Case{}, recoup.Case{}, false, err
	}
	return c, copyCase(c), true, nil
}

// stage keeps c, as stored, for the transaction's later reads, and for the shared cache once
// the transaction commits.
func (t *tx) stage(c recoup.Case) {
	if t.staged == nil {
		t.staged = make(map[int64]recoup.Case, 2)
	}
	t.staged[c.ID] = c
}
