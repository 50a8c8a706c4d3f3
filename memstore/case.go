package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
)

// caseRow is a case with its history: the rows of the other tables that belong to it.
type caseRow struct {
	c        recoup.Case
	timeline place            // its last timeline entry in the store's log (timeline.go)
	attempts []recoup.Attempt // in ID order
	messages []recoup.Message // in step order
}

// storedCase returns a copy of c as the store keeps and returns it.
func storedCase(c *recoup.Case) recoup.Case {
	s := c.Clone()
	s.FirstFailedAt, s.LastAttemptAt = stored(s.FirstFailedAt), stored(s.LastAttemptAt)
	s.CreatedAt, s.UpdatedAt, s.ResolvedAt = stored(s.CreatedAt), stored(s.UpdatedAt), stored(s.ResolvedAt)
	s.TakenOverAt = stored(s.TakenOverAt)
	if s.NextAction != nil {
		s.NextAction.At = stored(s.NextAction.At)
	}
	return s
}

// row returns the case's row, or nil.
func (d *data) row(id int64) *caseRow {
	if id < 1 || id > int64(len(d.cases)) {
		return nil
	}
	return d.cases[id-1]
}

// index moves the case's entries in the indexes and counts from old to new (nil: absent).
func (d *data) index(id int64, old, new *recoup.Case) {
	if old != nil {
		if d.byInvoice[old.InvoiceID] == id {
			delete(d.byInvoice, old.InvoiceID)
		}
		if new == nil || new.CustomerID != old.CustomerID {
			ids := d.byCustomer[old.CustomerID]
			if i, ok := slices.BinarySearch(ids, id); ok {
				ids = slices.Delete(ids, i, i+1)
			}
			if len(ids) == 0 {
				delete(d.byCustomer, old.CustomerID)
			} else {
				d.byCustomer[old.CustomerID] = ids
			}
		}
		d.states[old.State]--
		d.countArm(old, -1)
	}
	if new != nil {
		d.byInvoice[new.InvoiceID] = id
		if old == nil || new.CustomerID != old.CustomerID {
			ids := d.byCustomer[new.CustomerID]
			if i, ok := slices.BinarySearch(ids, id); !ok {
				d.byCustomer[new.CustomerID] = slices.Insert(ids, i, id)
			}
		}
		d.states[new.State]++
		d.countArm(new, 1)
	}
}

// countArm adds n to the outcome of the case's arm, if it is in one and resolved.
func (d *data) countArm(c *recoup.Case, n int) {
	if c.Arm == "" || c.Experiment == "" {
		return
	}
	switch c.State {
	case recoup.StateRecovered, recoup.StateExhausted, recoup.StateClosed:
	default:
		return
	}
	// The customer's stratum as their assignment says now, as migration 00023's triggers read it.
	k := [2]string{c.Experiment, d.assignments[[2]string{c.Experiment, c.CustomerID}].Stratum}
	arms := d.arms[k]
	if arms == nil {
		arms = map[string]*recoup.ArmOutcome{}
		d.arms[k] = arms
	}
	o := arms[c.Arm]
	if o == nil {
		o = &recoup.ArmOutcome{Arm: c.Arm}
		arms[c.Arm] = o
	}
	o.Resolved += n
	if c.State == recoup.StateRecovered {
		o.Recovered += n
	}
}

func (t *tx) Case(id int64) (recoup.Case, error) {
	if err := t.live("read case"); err != nil {
		return recoup.Case{}, err
	}
	r := t.d.row(id)
	if r == nil {
		return recoup.Case{}, recoup.Errorf(recoup.ENOTFOUND, "case %d: no such case", id)
	}
	return r.c.Clone(), nil
}

func (t *tx) CaseByInvoice(invoiceID string) (recoup.Case, error) {
	if err := t.live("read case"); err != nil {
		return recoup.Case{}, err
	}
	id, ok := t.d.byInvoice[invoiceID]
	if !ok {
		return recoup.Case{}, recoup.Errorf(recoup.ENOTFOUND, "case of invoice %s: no such case", invoiceID)
	}
	return t.d.row(id).c.Clone(), nil
}

func (t *tx) OpenCases(customerID, subscriptionID string) ([]recoup.Case, error) {
	if err := t.live("read open cases"); err != nil {
		return nil, err
	}
	out := []recoup.Case{}
	for _, id := range t.d.byCustomer[customerID] {
		c := &t.d.row(id).c
		if (subscriptionID == "" || c.SubscriptionID == subscriptionID) && !c.State.Terminal() {
			out = append(out, c.Clone())
		}
	}
	return out, nil
}

func (t *tx) CountCustomerCases(customerID string) (int, error) {
	if err := t.live("count cases"); err != nil {
		return 0, err
	}
	return len(t.d.byCustomer[customerID]), nil
}

func (t *tx) PastCases(customerID string, before time.Time, limit int) ([]recoup.Case, error) {
	if err := t.live("read past cases"); err != nil {
		return nil, err
	}
	out := []recoup.Case{}
	for _, id := range t.d.byCustomer[customerID] {
		c := &t.d.row(id).c
		if !c.ResolvedAt.IsZero() && c.ResolvedAt.UnixMicro() < before.UnixMicro() {
			out = append(out, c.Clone())
		}
	}
	slices.SortFunc(out, func(a, b recoup.Case) int {
		return cmp.Or(b.ResolvedAt.Compare(a.ResolvedAt), cmp.Compare(b.ID, a.ID))
	})
	return limited(out, limit), nil
}

// limited returns the first limit items of s, as SQL's LIMIT (a negative limit: all).
func limited[T any](s []T, limit int) []T {
	if limit >= 0 && len(s) > limit {
		return s[:limit]
	}
	return s
}

func (t *tx) CreateCase(c *recoup.Case) error {
	if err := t.live("create case"); err != nil {
		return err
	}
	if c.ID != 0 {
		return recoup.Errorf(recoup.EINVALID, "create case %d: the case already has an ID", c.ID)
	}
	if err := c.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "create case for invoice %s: %w", c.InvoiceID, err)
	}
	if _, ok := t.d.byInvoice[c.InvoiceID]; ok {
		return recoup.Errorf(recoup.ECONFLICT, "create case for invoice %s: the invoice has a case", c.InvoiceID)
	}
	id := int64(len(t.d.cases)) + 1
	r := &caseRow{c: storedCase(c)}
	r.c.ID, r.c.Version = id, 1
	t.d.cases = append(t.d.cases, r)
	t.d.index(id, nil, &r.c)
	t.onUndo(func() {
		t.d.index(id, &r.c, nil)
		t.d.cases[id-1] = nil
		t.d.cases = t.d.cases[:id-1]
	})
	c.ID, c.Version = id, 1
	return nil
}

func (t *tx) UpdateCase(c *recoup.Case) error {
	if err := t.live("update case"); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "update case %d: %w", c.ID, err)
	}
	r := t.d.row(c.ID)
	switch {
	case r == nil:
		return recoup.Errorf(recoup.ENOTFOUND, "update case %d: no such case", c.ID)
	case r.c.Version != c.Version:
		return recoup.Errorf(recoup.ECONFLICT, "update case %d: version %d is stale, the case is at version %d",
			c.ID, c.Version, r.c.Version)
	}
	if other, ok := t.d.byInvoice[c.InvoiceID]; ok && other != c.ID {
		return recoup.Errorf(recoup.ECONFLICT, "update case %d: invoice %s has case %d", c.ID, c.InvoiceID, other)
	}
	old := r.c
	n := storedCase(c)
	n.Version++
	t.d.index(c.ID, &old, &n)
	r.c = n
	t.onUndo(func() {
		t.d.index(old.ID, &r.c, &old)
		r.c = old
	})
	c.Version++
	return nil
}

func (s *Store) Case(ctx context.Context, id int64) (recoup.Case, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.d.row(id)
	if r == nil {
		return recoup.Case{}, recoup.Errorf(recoup.ENOTFOUND, "case %d: no such case", id)
	}
	return r.c.Clone(), nil
}

func (s *Store) Cases(ctx context.Context, f recoup.CaseFilter) (recoup.CasePage, error) {
	limit, err := f.PageLimit()
	if err != nil {
		return recoup.CasePage{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	match := func(c *recoup.Case) bool {
		return (f.State == "" || c.State == f.State) && (f.Before == 0 || c.ID < f.Before) &&
			(f.CustomerID == "" || c.CustomerID == f.CustomerID)
	}
	cases := []recoup.Case{}
	add := func(c *recoup.Case) bool {
		if match(c) {
			cases = append(cases, c.Clone())
		}
		return len(cases) <= limit // one more than the page tells whether there is a next
	}
	if f.CustomerID != "" {
		ids := s.d.byCustomer[f.CustomerID]
		for i := len(ids) - 1; i >= 0 && add(&s.d.row(ids[i]).c); i-- {
		}
	} else {
		top := int64(len(s.d.cases))
		if f.Before != 0 {
			top = min(top, f.Before-1)
		}
		for id := top; id >= 1 && add(&s.d.row(id).c); id-- {
		}
	}
	return recoup.NewCasePage(cases, limit), nil
}

func (s *Store) CountCases(ctx context.Context) (map[recoup.CaseState]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := make(map[recoup.CaseState]int, len(recoup.CaseStates))
	for _, st := range recoup.CaseStates {
		counts[st] = s.d.states[st]
	}
	return counts, nil
}

func (s *Store) CaseDetail(ctx context.Context, id int64) (recoup.CaseDetail, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.d.row(id)
	if r == nil {
		return recoup.CaseDetail{}, recoup.Errorf(recoup.ENOTFOUND, "case %d: no such case", id)
	}
	return recoup.CaseDetail{Case: r.c.Clone(), Timeline: s.d.timelineCopy(r), Attempts: r.attemptsCopy(), Messages: r.messagesCopy()}, nil
}
