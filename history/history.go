// Package history imports the account's past from Stripe: every charge and every invoice since
// a date, kept as past failed invoices with their attempts (the customer's earlier cases) and
// taught to the retry-timing model as outcomes marked history (engine.LearnHistory). It reads
// Stripe through the listings of package stripeapi, in three phases, each resumable from the
// checkpoint committed with every page: the charges, the invoices (joined to their charges),
// and the learning, the earliest failure first.
package history

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/policy"
)

// Stripe is what the import reads of Stripe: its listings of charges and invoices, newest
// first, resumable after an ID (recoup.HistorySource: stripeapi.Client, or a simulated world's
// past).
type Stripe = recoup.HistorySource

// Progress is where an import stands.
type Progress struct {
	Phase        string // recoup.ImportCharges, ImportInvoices, ImportLearn or ImportDone
	Charges      int    // charges read and stored
	Invoices     int    // failed invoices stored
	Observations int    // outcomes the timing model learned
	// Resumed says the import picked up an earlier one that had stopped.
	Resumed bool
	Since   time.Time
}

// Importer imports the account's history into the store.
type Importer struct {
	Store  recoup.Store
	Stripe Stripe
	Policy *policy.Policy
	// Now reads the clock (time.Now when nil): checkpoints are dated by it.
	Now func() time.Time
	// PageSize is how many charges or invoices each transaction stores; default 100, one
	// Stripe page.
	PageSize int
	// Progress, if set, is told where the import stands after every page.
	Progress func(Progress)
}

func (im *Importer) now() time.Time {
	if im.Now == nil {
		return time.Now()
	}
	return im.Now()
}

func (im *Importer) pageSize() int {
	if im.PageSize <= 0 {
		return 100
	}
	return im.PageSize
}

func (im *Importer) report(h recoup.HistoryImport, resumed bool) {
	if im.Progress != nil {
		im.Progress(Progress{Phase: h.Phase, Charges: h.Charges, Invoices: h.Invoices, Observations: h.Observations,
			Resumed: resumed, Since: h.Since})
	}
}

// Run imports everything created since the time. An import that stopped before it finished
// (killed, Stripe down) is resumed where its checkpoint says, with its own start date; a
// finished one is not repeated, but a new run reads again and stores only what is new, and
// the model learns nothing twice. It returns where the import ended.
func (im *Importer) Run(ctx context.Context, since time.Time) (Progress, error) {
	h, resumed, err := im.begin(ctx, since)
	if err != nil {
		return Progress{}, err
	}
	im.report(h, resumed)
	if h.Phase == recoup.ImportCharges {
		if err := im.charges(ctx, &h, resumed); err != nil {
			return im.progress(h, resumed), err
		}
	}
	if h.Phase == recoup.ImportInvoices {
		if err := im.invoices(ctx, &h, resumed); err != nil {
			return im.progress(h, resumed), err
		}
	}
	if h.Phase == recoup.ImportLearn {
		if err := im.learn(ctx, &h, resumed); err != nil {
			return im.progress(h, resumed), err
		}
	}
	return im.progress(h, resumed), nil
}

func (im *Importer) progress(h recoup.HistoryImport, resumed bool) Progress {
	return Progress{Phase: h.Phase, Charges: h.Charges, Invoices: h.Invoices, Observations: h.Observations, Resumed: resumed, Since: h.Since}
}

// begin returns the unfinished import to resume, or starts one.
func (im *Importer) begin(ctx context.Context, since time.Time) (h recoup.HistoryImport, resumed bool, err error) {
	err = im.Store.Tx(ctx, func(tx recoup.Tx) error {
		h, err = tx.HistoryImport()
		switch {
		case err == nil && h.FinishedAt.IsZero():
			resumed = true
			return nil
		case err != nil && !recoup.IsNotFound(err):
			return err
		}
		now := im.now()
		h = recoup.HistoryImport{Since: since, Phase: recoup.ImportCharges, StartedAt: now, UpdatedAt: now}
		return tx.SaveHistoryImport(&h)
	})
	if err != nil {
		return h, false, fmt.Errorf("start history import: %w", err)
	}
	return h, resumed, nil
}

// charges stores the charges page by page, each page with the checkpoint.
func (im *Importer) charges(ctx context.Context, h *recoup.HistoryImport, resumed bool) error {
	return importPages(ctx, im, h, resumed, "charges", im.Stripe.Charges(ctx, h.Since, h.ChargesAfter),
		func(next *recoup.HistoryImport, page []recoup.HistoricalCharge, done bool) {
			if len(page) > 0 {
				next.ChargesAfter = page[len(page)-1].ID
			}
			if done {
				next.Phase = recoup.ImportInvoices
			}
		},
		func(tx recoup.Tx, next *recoup.HistoryImport, page []recoup.HistoricalCharge) error {
			n, err := tx.AddHistoryCharges(page)
			next.Charges += n
			return err
		})
}

// invoices stores the failed invoices page by page, joined to their charges, each page with
// the checkpoint. An invoice recoup has a case for is left out: recoup learned from it as it
// happened, its own charges and Stripe's.
func (im *Importer) invoices(ctx context.Context, h *recoup.HistoryImport, resumed bool) error {
	return importPages(ctx, im, h, resumed, "invoices", im.Stripe.Invoices(ctx, h.Since, h.InvoicesAfter),
		func(next *recoup.HistoryImport, page []recoup.HistoricalInvoice, done bool) {
			if len(page) > 0 {
				next.InvoicesAfter = page[len(page)-1].ID
			}
			if done {
				next.Phase = recoup.ImportLearn
			}
		},
		func(tx recoup.Tx, next *recoup.HistoryImport, page []recoup.HistoricalInvoice) error {
			for _, inv := range page {
				stored, err := storeInvoice(tx, inv)
				if err != nil {
					return fmt.Errorf("invoice %s: %w", inv.ID, err)
				}
				if stored {
					next.Invoices++
				}
			}
			return nil
		})
}

// importPages reads one listing from Stripe and stores it a page at a time: each page in one
// transaction with the checkpoint that advance moves past it (and, after the last page, to
// the next phase), so that a killed import resumes after the last page stored.
func importPages[T any](ctx context.Context, im *Importer, h *recoup.HistoryImport, resumed bool, what string,
	list iter.Seq2[T, error], advance func(next *recoup.HistoryImport, page []T, done bool),
	store func(tx recoup.Tx, next *recoup.HistoryImport, page []T) error) error {
	var page []T
	flush := func(done bool) error {
		next := *h
		advance(&next, page, done)
		err := im.Store.Tx(ctx, func(tx recoup.Tx) error {
			if err := store(tx, &next, page); err != nil {
				return err
			}
			next.UpdatedAt = im.now()
			return tx.SaveHistoryImport(&next)
		})
		if err != nil {
			return fmt.Errorf("store %s: %w", what, err)
		}
		*h, page = next, page[:0]
		im.report(*h, resumed)
		return nil
	}
	for x, err := range list {
		if err != nil {
			return fmt.Errorf("read %s from Stripe: %w", what, err)
		}
		page = append(page, x)
		if len(page) == im.pageSize() {
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return flush(true)
}

// storeInvoice stores the invoice if its payment failed and recoup has no case for it.
func storeInvoice(tx recoup.Tx, inv recoup.HistoricalInvoice) (bool, error) {
	if len(inv.PaymentIntentIDs)+len(inv.ChargeIDs) == 0 {
		return false, nil
	}
	switch _, err := tx.CaseByInvoice(inv.ID); {
	case err == nil:
		return false, nil
	case !recoup.IsNotFound(err):
		return false, err
	}
	charges, err := tx.HistoryCharges(inv.PaymentIntentIDs, inv.ChargeIDs)
	if err != nil {
		return false, err
	}
	p, ok := engine.PastInvoiceOf(inv, charges)
	if !ok {
		return false, nil
	}
	return true, tx.SaveHistoryInvoice(p)
}

// learn teaches the model what it has not learned of the stored invoices, and finishes.
func (im *Importer) learn(ctx context.Context, h *recoup.HistoryImport, resumed bool) error {
	_, err := engine.LearnHistory(ctx, im.Store, im.Policy, im.now(), func(n int) {
		h.Observations += n
		im.report(*h, resumed)
	})
	if err != nil {
		return fmt.Errorf("learn from history: %w", err)
	}
	next := *h
	next.Phase, next.UpdatedAt = recoup.ImportDone, im.now()
	next.FinishedAt = next.UpdatedAt
	err = im.Store.Tx(ctx, func(tx recoup.Tx) error { return tx.SaveHistoryImport(&next) })
	if err != nil {
		return fmt.Errorf("finish history import: %w", err)
	}
	*h = next
	im.report(*h, resumed)
	return nil
}
