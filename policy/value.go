package policy

import (
	"fmt"
	"strconv"
)

// LargeInvoices (retry.large_invoices) gives the account's largest invoices more tries. A retry's
// worth grows with the invoice's amount while its cost does not (a declined charge's fees, the
// card's standing with its issuer, the networks' caps count charges, not dollars), so a charge
// too unlikely to pay for a $9 invoice may be worth making for a $5,000 one. "Largest" is
// relative to the account's own amounts, as the timing model learned them from its outcomes
// (timing.AmountRank): nothing about amounts is assumed.
type LargeInvoices struct {
	// TopShare: an invoice is large when fewer than this share of the outcomes the model learned
	// from were charged for as much or more. 0: off.
	TopShare float64
	// MaxAttempts replaces retry.max_attempts for a large invoice (the network guard's case
	// budget still bounds it); 0: the policy's.
	MaxAttempts int
	// MinProbability replaces retry.model.min_probability for a large invoice; 0: the policy's.
	MinProbability float64
}

// LargeInvoicesMinOutcomes is how many outcomes the model must have learned before an invoice
// can be called large: fewer say too little about the account's amounts.
const LargeInvoicesMinOutcomes = 200

// On reports whether the setting is in use.
func (l LargeInvoices) On() bool { return l.TopShare > 0 }

// ForLargeInvoice returns the policy as it applies to a large invoice: its budget and its least
// probability worth a charge replaced by retry.large_invoices' (only ever more tries: a budget
// below the policy's, or a probability above it, is not taken), and why, in words, for the
// decision's reason. p itself is not changed.
func (p *Policy) ForLargeInvoice(why string) (*Policy, string) {
	l := p.Retry.LargeInvoices
	q := *p
	q.Retry.MaxAttempts = max(p.Retry.MaxAttempts, l.MaxAttempts)
	if l.MinProbability > 0 {
		q.Retry.Model.MinProbability = min(p.Retry.Model.MinProbability, l.MinProbability)
	}
	return &q, fmt.Sprintf("large invoice (%s): up to %d charges, p ≥ %s", why, q.Retry.MaxAttempts,
		strconv.FormatFloat(q.Retry.Model.MinProbability, 'f', -1, 64))
}

// largeInvoices is retry.large_invoices in the file.
type largeInvoices struct {
	TopShare       *float64 `yaml:"top_share"`
	MaxAttempts    *int     `yaml:"max_attempts"`
	MinProbability *float64 `yaml:"min_probability"`
}

func (v *validator) largeInvoices(base string, l *largeInvoices, out *Retry) {
	path := base + ".large_invoices"
	if l.TopShare != nil {
		if *l.TopShare < 0 || *l.TopShare > 0.5 {
			v.fail(path+".top_share", "must be 0 (off) to 0.5, got %v (the share of the account's amounts counted as large)", *l.TopShare)
		}
		out.LargeInvoices.TopShare = *l.TopShare
	}
	if l.MaxAttempts != nil {
		if *l.MaxAttempts < 0 || *l.MaxAttempts > 20 {
			v.fail(path+".max_attempts", "must be 0-20, got %d (card networks fine excessive retries)", *l.MaxAttempts)
		}
		out.LargeInvoices.MaxAttempts = *l.MaxAttempts
	}
	if l.MinProbability != nil {
		if *l.MinProbability < 0 || *l.MinProbability >= 1 {
			v.fail(path+".min_probability", "must be 0 or more and below 1, got %v", *l.MinProbability)
		}
		out.LargeInvoices.MinProbability = *l.MinProbability
	}
}
