package cache

import (
	"sync"

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
// or wrote for itself, and they enter the shared cache only once it has committed (Put).
// Reads outside transactions see committed rows only, and enter it directly.
//
// A case written by CreateCase or UpdateCase is cached as a read of its row would return it
// (the sqlite package's storedCase), so the next read needs no full row either.

// CaseCacheSize bounds the cache. It holds the cases being worked on: a resolved case (a
// terminal state) leaves it, as it is rarely read again, so the cache follows the cases open at
// once, about 1.5 KB of the process's memory each. A case evicted is read in full once more,
// after its version, so a bound below the cases open at once loses most of the gain: the
// simulator's 100,000 invoices (about 17,000 open at once, by the failures per month and the
// 60-day window) took 4% less CPU with 16,384, 17% less with 65,536.
const CaseCacheSize = 65536

// Cases maps a case's id to its content at one version.
type Cases struct {
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

// NewCases returns an empty cache; sole says the store is its database's only writer.
func NewCases(sole bool) *Cases {
	cc := &Cases{m: make(map[int64]recoup.Case, 1024), sole: sole}
	if sole {
		cc.byInvoice = make(map[string]int64, 1024)
	}
	return cc
}

// Sole reports whether the store is its database's only writer: a case the cache holds is then
// the current one.
func (cc *Cases) Sole() bool { return cc.sole }

// CurrentOfInvoice returns the cached case of the invoice, if the cache holds it and knows it
// to be current.
func (cc *Cases) CurrentOfInvoice(invoiceID string) (recoup.Case, bool) {
	if !cc.sole {
		return recoup.Case{}, false
	}
	cc.mu.Lock()
	c, ok := cc.m[cc.byInvoice[invoiceID]]
	cc.mu.Unlock()
	if !ok || c.InvoiceID != invoiceID {
		return recoup.Case{}, false
	}
	return c.Clone(), true
}

// Current returns the cached case, if the cache holds it and knows it to be current.
func (cc *Cases) Current(id int64) (recoup.Case, bool) {
	if !cc.sole {
		return recoup.Case{}, false
	}
	cc.mu.Lock()
	c, ok := cc.m[id]
	cc.mu.Unlock()
	if !ok {
		return recoup.Case{}, false
	}
	return c.Clone(), true
}

// Get returns the case at the version, if cached.
func (cc *Cases) Get(id, version int64) (recoup.Case, bool) {
	cc.mu.Lock()
	c, ok := cc.m[id]
	cc.mu.Unlock()
	if !ok || c.Version != version {
		return recoup.Case{}, false
	}
	return c.Clone(), true
}

// Put caches committed cases (owned by the cache from now on), unless it holds a later version.
func (cc *Cases) Put(cases map[int64]recoup.Case) {
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
		if _, ok := cc.m[c.ID]; !ok && len(cc.m) >= CaseCacheSize {
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

// Remove drops the cases from the cache (their rows were deleted).
func (cc *Cases) Remove(ids ...int64) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, id := range ids {
		cc.remove(id)
	}
}

// remove drops the case from the cache. The caller holds mu.
func (cc *Cases) remove(id int64) {
	if old, ok := cc.m[id]; ok && cc.byInvoice != nil && cc.byInvoice[old.InvoiceID] == id {
		delete(cc.byInvoice, old.InvoiceID)
	}
	delete(cc.m, id)
}
