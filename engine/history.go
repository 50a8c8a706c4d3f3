package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/timing"
)

// The account's history as the timing model learns from it: each past failed invoice is an
// earlier case of its customer, and each of its charges after the first failure a retry whose
// outcome the model learns, described by the same features (timingCase, timing.Observed) as
// recoup's own retry at that moment. Only the adapter that reads Stripe's listings
// (package history) knows where they come from.

// PastInvoiceOf describes a historical invoice whose payment failed, with its charges (in any
// order; those of other invoices are ignored), as the history import keeps it; ok is false
// when no charge of the invoice failed.
func PastInvoiceOf(inv recoup.HistoricalInvoice, charges []recoup.HistoryCharge) (p recoup.PastInvoice, ok bool) {
	mine := map[string]bool{}
	for _, id := range inv.PaymentIntentIDs {
		mine[id] = true
	}
	for _, id := range inv.ChargeIDs {
		mine[id] = true
	}
	var own []recoup.HistoryCharge
	for _, ch := range charges {
		if ch.Status != "pending" && (mine[ch.ID] || ch.PaymentIntentID != "" && mine[ch.PaymentIntentID]) {
			own = append(own, ch)
		}
	}
	sortCharges(own)
	first := -1
	for i, ch := range own {
		if ch.Status == "failed" {
			first = i
			break
		}
	}
	if first < 0 {
		return recoup.PastInvoice{}, false
	}
	failed := own[first]
	p = recoup.PastInvoice{ID: inv.ID, CustomerID: inv.CustomerID, Country: failed.CardCountry, Amount: inv.AmountDue,
		Currency: inv.Currency, Category: decline.Classify(failed.Decline).Category, FirstFailedAt: failed.Created,
		Attempts: own[first:]}
	switch inv.Status {
	case recoup.InvoicePaid:
		p.EndedAt = inv.PaidAt
		p.Ended = recoup.PastPaidByCustomer
		if last := own[len(own)-1]; !inv.PaidOutOfBand && last.Status == "succeeded" &&
			last.PaymentMethodID == failed.PaymentMethodID && p.Category != recoup.CategoryAuthentication {
			// The card that failed passed a later charge: a retry collected it. A payment
			// with another card, or after an authentication only the customer could pass, is
			// the customer's doing (as paidByCustomer reckons a live case).
			p.Ended = recoup.PastPaidByRetry
			if p.EndedAt.IsZero() {
				p.EndedAt = last.Created
			}
		}
	case recoup.InvoiceVoid:
		p.Ended, p.EndedAt = recoup.PastUnpaid, inv.VoidedAt
	case recoup.InvoiceUncollectible:
		p.Ended, p.EndedAt = recoup.PastUnpaid, inv.MarkedUncollectibleAt
	}
	if p.Ended != "" && p.EndedAt.IsZero() {
		p.EndedAt = own[len(own)-1].Created
	}
	return p, true
}

// sortCharges orders charges oldest first, then by ID (Stripe's times are whole seconds).
func sortCharges(chs []recoup.HistoryCharge) {
	slices.SortFunc(chs, func(a, b recoup.HistoryCharge) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
}

// HistoryObservations are the outcomes the timing model learns from a past invoice: each
// charge after the first failure of the card that failed, which reached the issuer, described
// as recoup's own retry of a case at that moment would be (timingCase), with the customer's
// earlier cases past and the pay-schedule prior of payPrior (nil: none). A charge of another
// card says nothing about when the failed one passes, as in learn. Their sources are history.
func HistoryObservations(inv recoup.PastInvoice, past timing.History, p *policy.Policy, payPrior func(country string) []float64) []recoup.Observation {
	obs, _ := historyObservations(inv, past, p, payPrior)
	return obs
}

// historyObservations are HistoryObservations and the ID of each one's charge.
func historyObservations(inv recoup.PastInvoice, past timing.History, p *policy.Policy, payPrior func(country string) []float64) (out []recoup.Observation, charges []string) {
	if len(inv.Attempts) < 2 {
		return nil, nil
	}
	failed := inv.Attempts[0]
	c := recoup.Case{InvoiceID: inv.ID, CustomerID: inv.CustomerID, Category: inv.Category,
		Amount: recoup.Money{Amount: inv.Amount, Currency: inv.Currency}, FirstFailedAt: failed.Created,
		PaymentMethodID: failed.PaymentMethodID, LastDecline: historyDecline(failed)}
	attempts := []recoup.Attempt{historyAttempt(failed, 1)}
	for i, ch := range inv.Attempts[1:] {
		a := historyAttempt(ch, i+2)
		if ch.PaymentMethodID == c.PaymentMethodID && a.Decline.ReachedNetwork() {
			tc := timingCase(c, attempts, nil, past, p, a.StartedAt)
			if payPrior != nil {
				tc.PayPrior = payPrior(tc.Country)
			}
			out = append(out, recoup.Observation{Model: ModelName, Kind: recoup.ObserveOutcome, Source: recoup.ObservedHistory,
				Features: timing.Observed(tc, a.StartedAt), Success: a.Status == recoup.AttemptSucceeded, At: a.FinishedAt})
			charges = append(charges, ch.ID)
		}
		attempts = append(attempts, a)
		if a.Status == recoup.AttemptDeclined && ch.PaymentMethodID == c.PaymentMethodID {
			// The case's category follows its latest decline, as planning sets it (facts).
			c.LastDecline, c.Category = a.Decline, a.Decline.Category
		}
		c.LastAttemptAt = later(c.LastAttemptAt, a.StartedAt)
	}
	return out, charges
}

// historyDecline is the charge's decline, classified, with its card (a charge's decline
// carries the funding and country, not the brand).
func historyDecline(ch recoup.HistoryCharge) *recoup.Decline {
	if ch.Decline == nil {
		return nil
	}
	d := *ch.Decline
	d.CardBrand, d.CardFunding, d.CardCountry = cmp.Or(d.CardBrand, ch.CardBrand), cmp.Or(d.CardFunding, ch.CardFunding), cmp.Or(d.CardCountry, ch.CardCountry)
	d.Category = decline.Classify(&d).Category
	return &d
}

// historyAttempt is a past charge as an attempt of the case: Stripe's, since recoup made none.
func historyAttempt(ch recoup.HistoryCharge, n int) recoup.Attempt {
	a := recoup.Attempt{N: n, Source: recoup.SourceStripe, PaymentMethodID: ch.PaymentMethodID, StartedAt: ch.Created, FinishedAt: ch.Created}
	if ch.Status == "succeeded" {
		a.Status = recoup.AttemptSucceeded
	} else {
		a.Status, a.Decline = recoup.AttemptDeclined, historyDecline(ch)
	}
	return a
}

// pastCase is one earlier failure of a customer, from a case or from the imported history.
type pastCase struct {
	at       time.Time // when it was resolved
	last     string    // how it ended: a timing.Past constant
	category recoup.Category
}

// importedPast reads the customer's imported invoices that ended before the time.
func importedPast(tx recoup.Tx, customerID string, before time.Time) ([]pastCase, error) {
	inv, err := tx.PastInvoices(customerID, before, pastCases)
	if err != nil {
		return nil, err
	}
	out := make([]pastCase, len(inv))
	for i, p := range inv {
		last := timing.PastUnpaid
		switch p.Ended {
		case recoup.PastPaidByRetry:
			last = timing.PastPaidByRetry
		case recoup.PastPaidByCustomer:
			last = timing.PastPaidByCustomer
		}
		out[i] = pastCase{at: p.EndedAt, last: last, category: p.Category}
	}
	return out, nil
}

// historyBatch is how many past invoices LearnHistory teaches the model per transaction.
const historyBatch = 200

// LearnHistory teaches the timing model the outcomes of the imported invoices it has not
// learned yet, the earliest failure first, so that each invoice's customer history holds the
// invoices before it. Each batch is one short transaction that adds the observations and marks
// their charges learned: run again after a crash, it adds nothing twice. progress, if not nil,
// is told the observations added after each batch. It returns how many it added.
//
// Like recoup's own outcomes, each one describes its charge with the pay-schedule belief of the
// model as it stands, every earlier observation folded in.
func LearnHistory(ctx context.Context, store recoup.Store, p *policy.Policy, now time.Time, progress func(added int)) (int, error) {
	var l learner
	total := 0
	for {
		n, more := 0, false
		err := store.Tx(ctx, func(tx recoup.Tx) error {
			n = 0
			if err := l.sync(tx, now, p.Retry.Model.Priors); err != nil {
				return fmt.Errorf("timing model: %w", err)
			}
			invs, err := tx.UnlearnedHistory(historyBatch)
			if err != nil {
				return err
			}
			more = len(invs) == historyBatch
			for _, inv := range invs {
				added, err := learnInvoice(tx, inv, p, l.model)
				if err != nil {
					return fmt.Errorf("learn from invoice %s: %w", inv.ID, err)
				}
				n += added
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if progress != nil {
			progress(n)
		}
		if !more {
			return total, nil
		}
	}
}

// learnInvoice adds the outcomes of the invoice's charges that the model has not learned.
func learnInvoice(tx recoup.Tx, inv recoup.PastInvoice, p *policy.Policy, model *timing.Model) (int, error) {
	past, err := customerHistory(tx, recoup.Case{CustomerID: inv.CustomerID, FirstFailedAt: inv.FirstFailedAt})
	if err != nil {
		return 0, err
	}
	obs, charges := historyObservations(inv, past, p, model.PayPrior)
	learned := map[string]bool{}
	var mark []string
	for _, ch := range inv.Attempts {
		if ch.Learned {
			learned[ch.ID] = true
		} else {
			mark = append(mark, ch.ID)
		}
	}
	added := 0
	for i := range obs {
		if learned[charges[i]] {
			continue
		}
		if err := tx.AddObservation(&obs[i]); err != nil {
			return added, err
		}
		added++
	}
	return added, tx.MarkHistoryLearned(mark)
}
