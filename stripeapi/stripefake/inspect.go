package stripefake

import (
	"maps"
	"strings"
	"time"
)

// Inspection: what tests assert on, read without going through the API.

// InvoiceSnapshot is an invoice's state as the fake holds it.
type InvoiceSnapshot struct {
	ID               string
	Status           string
	AttemptCount     int
	Attempted        bool
	AmountDue        int64
	AmountPaid       int64
	AmountRemaining  int64
	Charges          int // charges made on it, failed or not
	SucceededCharges int // charges that succeeded: more than one is a double charge
	PendingScript    int // scripted outcomes not used yet
	AutoAdvance      bool
	FinalizesAt      time.Time // automatically_finalizes_at of a draft; zero: none
	Metadata         map[string]string
}

// Invoice returns the invoice's current state; false if there is no such invoice.
func (s *Server) Invoice(id string) (InvoiceSnapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.st.invoices[id]
	if in == nil {
		return InvoiceSnapshot{}, false
	}
	snap := InvoiceSnapshot{
		ID: in.id, Status: in.status, AttemptCount: in.attemptCount, Attempted: in.attempted,
		AmountDue: in.amountDue, AmountPaid: in.amountPaid, AmountRemaining: in.remaining(),
		SucceededCharges: s.st.succeeded[id], PendingScript: len(s.st.scripts[id]),
		AutoAdvance: in.autoAdvance && (in.status == "draft" || in.status == "open"), Metadata: maps.Clone(in.metadata),
	}
	if in.finalizesAt != 0 {
		snap.FinalizesAt = time.Unix(in.finalizesAt, 0).UTC()
	}
	for _, ipID := range in.payments {
		pi := s.st.invoicePayments[ipID].paymentIntent
		if pi == "" {
			continue // a payment made outside Stripe's charge
		}
		for _, ch := range s.st.charges {
			if ch.paymentIntent == pi {
				snap.Charges++
			}
		}
	}
	return snap, true
}

// InvoicesWithMetadata returns the invoices whose metadata key is value, oldest first; a
// deleted draft is gone.
func (s *Server) InvoicesWithMetadata(key, value string) []InvoiceSnapshot {
	s.mu.Lock()
	var match []*invoice
	for _, in := range s.st.invoices {
		if v, ok := in.metadata[key]; ok && v == value {
			match = append(match, in)
		}
	}
	sortBySeq(match)
	s.mu.Unlock()
	out := make([]InvoiceSnapshot, 0, len(match))
	for _, in := range match {
		snap, _ := s.Invoice(in.id)
		out = append(out, snap)
	}
	return out
}

// SucceededCharges is how many charges on the invoice succeeded; more than one means the
// customer was charged twice.
func (s *Server) SucceededCharges(invoiceID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.succeeded[invoiceID]
}

// SubscriptionStatus is the subscription's status, "" if there is none.
func (s *Server) SubscriptionStatus(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.st.subscriptions[id]; sub != nil {
		return sub.status
	}
	return ""
}

// DefaultPaymentMethod is the customer's invoice_settings.default_payment_method.
func (s *Server) DefaultPaymentMethod(customerID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.st.customers[customerID]; c != nil {
		return c.defaultPM
	}
	return ""
}

// Requests returns the log of API requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.st.requests...)
}

// PayCalls is how many requests to POST /v1/invoices/{id}/pay carried the idempotency key,
// replays and refusals included.
func (s *Server) PayCalls(idempotencyKey string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/pay") && r.IdempotencyKey == idempotencyKey {
			n++
		}
	}
	return n
}

// RenewalParams describes a failed subscription renewal to set up with NewFailedRenewal.
type RenewalParams struct {
	Email     string
	Phone     string            // the customer's, E.164; "" for none
	Metadata  map[string]string // the customer's
	Country   string
	AmountDue int64  // default 2000
	Currency  string // default "usd"
	Brand     string // default "visa"
	Funding   string // the card's funding, default "credit"
	// CardCountry is the card's issuing country, default "US" (Country is the customer's).
	CardCountry string
	Decline     Decline
	// Behaviour is what charging the card does afterwards (default: succeed).
	Behaviour Outcome
}

// Renewal names the objects NewFailedRenewal created.
type Renewal struct {
	CustomerID, PaymentMethodID, SubscriptionID, InvoiceID string
}

// NewFailedRenewal sets up the usual starting point of a recovery: a customer with a default
// card, an active subscription, and its renewal invoice whose automatic charge failed with
// p.Decline (FailRenewal). The subscription is then past_due and the invoice open with
// attempt_count 1.
func (s *Server) NewFailedRenewal(p RenewalParams) (Renewal, error) {
	if p.AmountDue == 0 {
		p.AmountDue = 2000
	}
	var r Renewal
	r.CustomerID = s.CreateCustomer(CustomerParams{Email: p.Email, Country: p.Country, Phone: p.Phone, Metadata: p.Metadata})
	r.PaymentMethodID = s.CreatePaymentMethod(PaymentMethodParams{Customer: r.CustomerID, Brand: p.Brand,
		Funding: p.Funding, Country: p.CardCountry, Behaviour: p.Behaviour, Default: true})
	r.SubscriptionID = s.CreateSubscription(SubscriptionParams{Customer: r.CustomerID, Currency: p.Currency})
	r.InvoiceID = s.CreateInvoice(InvoiceParams{Customer: r.CustomerID, Subscription: r.SubscriptionID, AmountDue: p.AmountDue})
	return r, s.FailRenewal(r.InvoiceID, p.Decline)
}
