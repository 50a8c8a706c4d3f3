package memstore

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// The history import's rows: the charges it read, the failed invoices they were joined to and
// the import's checkpoints.

// storedCharge returns a copy of c as the store keeps it and returns it.
func storedCharge(c recoup.HistoryCharge) recoup.HistoryCharge {
	c.Created, c.Decline = stored(c.Created), copyDecline(c.Decline)
	return c
}

// putCharge stores c (nil: removes the charge of the ID), moving it in the indexes, and
// returns what was stored before (nil: nothing).
func (d *data) putCharge(id string, c *recoup.HistoryCharge) *recoup.HistoryCharge {
	old := d.charges[id]
	if old != nil {
		if old.InvoiceID != "" {
			d.chargesOf[old.InvoiceID] = deleteString(d.chargesOf[old.InvoiceID], id)
			if !old.Learned {
				d.unlearned[old.InvoiceID]--
			}
		}
		if old.PaymentIntentID != "" {
			d.chargesOfIntent[old.PaymentIntentID] = deleteString(d.chargesOfIntent[old.PaymentIntentID], id)
		}
		delete(d.charges, id)
	}
	if c != nil {
		if c.InvoiceID != "" {
			d.chargesOf[c.InvoiceID] = append(d.chargesOf[c.InvoiceID], id)
			if !c.Learned {
				d.unlearned[c.InvoiceID]++
			}
		}
		if c.PaymentIntentID != "" {
			d.chargesOfIntent[c.PaymentIntentID] = append(d.chargesOfIntent[c.PaymentIntentID], id)
		}
		d.charges[id] = c
	}
	if old != nil && old.InvoiceID != "" && d.unlearned[old.InvoiceID] == 0 {
		delete(d.unlearned, old.InvoiceID)
	}
	return old
}

// setCharge stores c in the transaction.
func (t *tx) setCharge(id string, c *recoup.HistoryCharge) {
	old := t.d.putCharge(id, c)
	t.onUndo(func() { t.d.putCharge(id, old) })
}

func deleteString(s []string, v string) []string {
	if i := slices.Index(s, v); i >= 0 {
		return slices.Delete(s, i, i+1)
	}
	return s
}

func (t *tx) AddHistoryCharges(chs []recoup.HistoricalCharge) (int, error) {
	if err := t.live("store charges"); err != nil {
		return 0, err
	}
	added := 0
	for _, ch := range chs {
		if _, ok := t.d.charges[ch.ID]; ok {
			continue
		}
		c := storedCharge(recoup.HistoryCharge{HistoricalCharge: ch})
		t.setCharge(ch.ID, &c)
		added++
	}
	return added, nil
}

// sortCharges orders charges as the stores return them: oldest first, then by ID.
func sortCharges(cs []recoup.HistoryCharge) {
	slices.SortFunc(cs, func(a, b recoup.HistoryCharge) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
}

func (t *tx) HistoryCharges(paymentIntentIDs, chargeIDs []string) ([]recoup.HistoryCharge, error) {
	if err := t.live("read stored charges"); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := []recoup.HistoryCharge{}
	add := func(id string) {
		if c := t.d.charges[id]; c != nil && !seen[id] {
			seen[id] = true
			out = append(out, storedCharge(*c))
		}
	}
	for _, pi := range paymentIntentIDs {
		for _, id := range t.d.chargesOfIntent[pi] {
			add(id)
		}
	}
	for _, id := range chargeIDs {
		add(id)
	}
	sortCharges(out)
	return out, nil
}

func (t *tx) SaveHistoryInvoice(inv recoup.PastInvoice) error {
	if err := t.live("store past invoice"); err != nil {
		return err
	}
	if inv.ID == "" || inv.FirstFailedAt.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "store past invoice %q: no ID or first failure", inv.ID)
	}
	n := inv
	n.Attempts = nil
	n.FirstFailedAt, n.EndedAt = stored(n.FirstFailedAt), stored(n.EndedAt)
	if old, ok := t.d.pastInvoices[inv.ID]; ok {
		// The customer and the currency stay as first stored.
		n.CustomerID, n.Currency = old.CustomerID, old.Currency
	} else {
		list := t.d.pastOf[n.CustomerID]
		t.d.pastOf[n.CustomerID] = append(list, inv.ID)
		t.onUndo(func() { t.d.pastOf[n.CustomerID] = t.d.pastOf[n.CustomerID][:len(list)] })
	}
	setKey(t, t.d.pastInvoices, inv.ID, &n)
	for _, a := range inv.Attempts {
		if c := t.d.charges[a.ID]; c != nil && c.InvoiceID != inv.ID {
			j := *c
			j.InvoiceID = inv.ID
			t.setCharge(a.ID, &j)
		}
	}
	return nil
}

// chargesOfInvoice returns the invoice's charges, oldest first.
func (d *data) chargesOfInvoice(id string) []recoup.HistoryCharge {
	out := []recoup.HistoryCharge{}
	for _, cid := range d.chargesOf[id] {
		out = append(out, storedCharge(*d.charges[cid]))
	}
	sortCharges(out)
	return out
}

func (t *tx) UnlearnedHistory(limit int) ([]recoup.PastInvoice, error) {
	if err := t.live("read past invoices to learn from"); err != nil {
		return nil, err
	}
	out := []recoup.PastInvoice{}
	for id := range t.d.unlearned {
		if inv := t.d.pastInvoices[id]; inv != nil {
			out = append(out, *inv)
		}
	}
	slices.SortFunc(out, func(a, b recoup.PastInvoice) int {
		return cmp.Or(a.FirstFailedAt.Compare(b.FirstFailedAt), strings.Compare(a.ID, b.ID))
	})
	out = limited(out, limit)
	for i := range out {
		out[i].Attempts = t.d.chargesOfInvoice(out[i].ID)
	}
	return out, nil
}

func (t *tx) MarkHistoryLearned(chargeIDs []string) error {
	if err := t.live("mark charges learned"); err != nil {
		return err
	}
	for _, id := range chargeIDs {
		if c := t.d.charges[id]; c != nil && !c.Learned {
			l := *c
			l.Learned = true
			t.setCharge(id, &l)
		}
	}
	return nil
}

func (t *tx) PastInvoices(customerID string, before time.Time, limit int) ([]recoup.PastInvoice, error) {
	if err := t.live("read past invoices"); err != nil {
		return nil, err
	}
	out := []recoup.PastInvoice{}
	for _, id := range t.d.pastOf[customerID] {
		inv := t.d.pastInvoices[id]
		if inv.Ended != "" && !inv.EndedAt.IsZero() && inv.EndedAt.UnixMicro() < before.UnixMicro() {
			out = append(out, *inv)
		}
	}
	slices.SortFunc(out, func(a, b recoup.PastInvoice) int {
		return cmp.Or(b.EndedAt.Compare(a.EndedAt), strings.Compare(b.ID, a.ID))
	})
	return limited(out, limit), nil
}

func (t *tx) HistoryImport() (recoup.HistoryImport, error) {
	if err := t.live("read history import"); err != nil {
		return recoup.HistoryImport{}, err
	}
	if len(t.d.imports) == 0 {
		return recoup.HistoryImport{}, recoup.Errorf(recoup.ENOTFOUND, "no history import yet")
	}
	return t.d.imports[len(t.d.imports)-1], nil
}

func (t *tx) SaveHistoryImport(h *recoup.HistoryImport) error {
	if err := t.live("save history import"); err != nil {
		return err
	}
	s := *h
	s.Since, s.StartedAt, s.UpdatedAt, s.FinishedAt = stored(s.Since), stored(s.StartedAt), stored(s.UpdatedAt), stored(s.FinishedAt)
	if h.ID == 0 {
		t.d.ids.historyImport++
		s.ID = t.d.ids.historyImport
		n := len(t.d.imports)
		t.d.imports = append(t.d.imports, s)
		t.onUndo(func() { t.d.imports = t.d.imports[:n] })
		h.ID = s.ID
		return nil
	}
	i, ok := slices.BinarySearchFunc(t.d.imports, h.ID, func(x recoup.HistoryImport, id int64) int { return cmp.Compare(x.ID, id) })
	if !ok {
		return recoup.Errorf(recoup.ENOTFOUND, "save history import %d: no such import", h.ID)
	}
	old := t.d.imports[i]
	t.d.imports[i] = s
	t.onUndo(func() { t.d.imports[i] = old })
	return nil
}
