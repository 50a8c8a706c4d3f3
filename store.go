package recoup

import (
	"context"
	"time"
)

// JobKind names a durable job.
type JobKind string

// Job kinds.
const (
	JobProcessEvent JobKind = "process_event" // EventID
	JobAct          JobKind = "act"           // CaseID, Seq: run the case's planned action if still current
	JobMessage      JobKind = "message"       // CaseID, Seq: send campaign step Seq if it still applies
	JobLifecycle    JobKind = "lifecycle"     // CaseID, Event: deliver the case's lifecycle event to the merchant
	// JobInvoiceReminder: InvoiceID, Seq: remind the customer of an invoice sent to be paid, Seq
	// days from its due date (negative: before), unless it is paid or voided by then.
	JobInvoiceReminder JobKind = "invoice_reminder"
	// JobCardSwitch: CaseID: make the subscription of a case recovered on a new card charge
	// that card from its next invoice on.
	JobCardSwitch JobKind = "card_switch"
	// JobCardExpiring: CustomerID: check the customer's renewals and send the card expiring
	// notices due, at the customer's local send hour (planned when the event came at night).
	JobCardExpiring JobKind = "card_expiring"
	// JobTakeover: CaseID: take the case's invoice out of Stripe's automatic collection
	// (auto_advance false) before recoup acts on it, when recoup manages the case.
	JobTakeover JobKind = "takeover"
)

// Job is a unit of deferred work, enqueued inside a store transaction so that it exists if and
// only if the transaction commits.
type Job struct {
	Kind    JobKind   `json:"kind"`
	EventID string    `json:"event_id,omitempty"`
	CaseID  int64     `json:"case_id,omitempty"`
	Seq     int       `json:"seq,omitempty"`
	Event   string    `json:"event,omitempty"` // a lifecycle job's event type (CaseOpened, ...)
	RunAt   time.Time `json:"run_at,omitzero"` // zero: as soon as possible

	InvoiceID  string `json:"invoice_id,omitempty"`  // an invoice reminder's invoice
	CustomerID string `json:"customer_id,omitempty"` // a card expiring notice's customer

	// Trace is the W3C traceparent of the span that enqueued the job ("" when tracing is off):
	// the worker continues its trace. A store that inserts the jobs of several transactions
	// together (SQLite's group commit) sets it from each transaction's own context.
	Trace string `json:"trace,omitempty"`
}

// MaxCaseLimit is the largest page of cases a listing returns.
const MaxCaseLimit = 500

// CaseFilter selects cases for listing. Results are ordered by ID, newest first.
type CaseFilter struct {
	State CaseState // empty: any
	// CustomerID, when set, lists only that customer's cases.
	CustomerID string
	Before     int64 // keyset cursor: only IDs below this; 0: from the newest
	Limit      int   // 1..MaxCaseLimit; 0 means 50
}

// NewCasePage is the page of cases, newest first, read with one case more than limit: that one,
// if there, says a next page follows, from the cursor Next.
func NewCasePage(cases []Case, limit int) CasePage {
	page := CasePage{Cases: cases}
	if len(cases) > limit {
		page.Cases = cases[:limit]
		page.Next = cases[limit-1].ID
	}
	return page
}

// PageLimit validates f and returns its page size: Limit, or 50 when it is 0. Every store
// checks a listing's filter with it.
func (f CaseFilter) PageLimit() (int, error) {
	switch {
	case f.Limit < 0 || f.Limit > MaxCaseLimit:
		return 0, Errorf(EINVALID, "list cases: limit %d is not between 1 and %d", f.Limit, MaxCaseLimit)
	case f.Before < 0:
		return 0, Errorf(EINVALID, "list cases: negative cursor %d", f.Before)
	case f.State != "" && !f.State.Valid():
		return 0, Errorf(EINVALID, "list cases: unknown state %q", f.State)
	case f.Limit == 0:
		return 50, nil
	}
	return f.Limit, nil
}

// CasePage is one page of cases. Next is the cursor for the following page, 0 at the end.
type CasePage struct {
	Cases []Case `json:"cases"`
	Next  int64  `json:"next,omitempty"`
	// Total is the number of cases the query matches on every page, counted up to the
	// query's CountUpTo (Total == CountUpTo: that many or more); 0 when it did not ask.
	Total int64 `json:"total,omitempty"`
}

// CaseDetail is a case with its whole history, as the dashboard's case page and the API's
// case answer show it: all read in one snapshot, so that the history agrees with the case.
type CaseDetail struct {
	Case     Case
	Timeline []TimelineEntry
	Attempts []Attempt
	Messages []Message
}

// Store keeps cases, their timelines and attempts, and the inbound events. Implementations:
// sqlite and postgres, both held to the storetest conformance suite.
type Store interface {
	// Tx runs fn in one transaction and commits if it returns nil. The jobs fn enqueues are
	// inserted in the same transaction.
	Tx(ctx context.Context, fn func(tx Tx) error) error

	Case(ctx context.Context, id int64) (Case, error)
	Cases(ctx context.Context, f CaseFilter) (CasePage, error)
	Timeline(ctx context.Context, caseID int64) ([]TimelineEntry, error)
	Attempts(ctx context.Context, caseID int64) ([]Attempt, error)
	Event(ctx context.Context, id string) (Event, error)
	Messages(ctx context.Context, caseID int64) ([]Message, error)
	// CaseDetail reads the case with its timeline, attempts and messages in one read-only
	// transaction: whatever commits meanwhile, they all show the case at one moment (never a
	// recovered case whose succeeding attempt is still pending). ENOTFOUND if there is no such
	// case.
	CaseDetail(ctx context.Context, id int64) (CaseDetail, error)
	// CountCases counts cases by state, for metrics.
	CountCases(ctx context.Context) (map[CaseState]int, error)
	// Ready returns nil when the database answers and every migration is applied.
	Ready(ctx context.Context) error
}

// Tx is the set of reads and writes available inside one store transaction. Reads of a case
// lock its row until the transaction ends (FOR UPDATE on PostgreSQL; SQLite transactions are
// IMMEDIATE and so exclusive).
type Tx interface {
	// InsertEvent stores ev unless an event with its ID exists; it reports whether it inserted.
	InsertEvent(ev *Event) (inserted bool, err error)
	Event(id string) (Event, error)
	// SetEventStatus records the processing outcome of an event.
	SetEventStatus(id string, status EventStatus, note string, at time.Time) error

	// CaseByInvoice returns the case of the invoice, locked; ENOTFOUND if there is none.
	CaseByInvoice(invoiceID string) (Case, error)
	// Case returns the case, locked; ENOTFOUND if there is none.
	Case(id int64) (Case, error)
	// OpenCases returns the locked cases of the customer (and, when subscriptionID is not
	// empty, of that subscription only) that are not resolved: active, or exhausted with the
	// invoice still unpaid.
	OpenCases(customerID, subscriptionID string) ([]Case, error)
	// CountCustomerCases counts the customer's cases, in any state (a segment fact: past
	// failures).
	CountCustomerCases(customerID string) (int, error)
	// PastCases returns up to limit of the customer's cases resolved before the time
	// (recovered, closed, or exhausted with the invoice unpaid), the most recently resolved
	// first, unlocked: the customer's own payment history.
	PastCases(customerID string, before time.Time, limit int) ([]Case, error)
	// CreateCase inserts c, setting its ID and Version; ECONFLICT if the invoice has a case.
	CreateCase(c *Case) error
	// UpdateCase saves c if its Version is still current, and increments it; ECONFLICT otherwise.
	UpdateCase(c *Case) error

	// AppendTimeline adds e to the end of its case's timeline; ENOTFOUND if there is no such
	// case. It sets e.ID at the latest when the transaction commits: a store may write a
	// transaction's entries together, in append order, just before it commits (SQLite does).
	AppendTimeline(e *TimelineEntry) error
	// InsertAttempt stores a, setting its ID; ECONFLICT if (CaseID, Source, N) exists.
	InsertAttempt(a *Attempt) error
	// UpdateAttempt saves the status, decline and finish time of an attempt.
	UpdateAttempt(a *Attempt) error
	Attempts(caseID int64) ([]Attempt, error)

	// InsertMessage stores m, setting its ID; ECONFLICT if (CaseID, Step) exists.
	InsertMessage(m *Message) error
	// UpdateMessage saves the status, error and send time of a message.
	UpdateMessage(m *Message) error
	Messages(caseID int64) ([]Message, error)

	// AddObservation records what a learned model learns from, setting its ID. Observations of
	// one model get IDs in the order their transactions commit.
	AddObservation(o *Observation) error
	// Observations returns up to limit observations of the model with IDs above after, by ID.
	Observations(model string, after int64, limit int) ([]Observation, error)

	// AddHistoryCharges stores the charges the history import read; a charge already stored
	// is left as it is. It returns how many were new.
	AddHistoryCharges(chs []HistoricalCharge) (int, error)
	// HistoryCharges returns the stored charges of the PaymentIntents or with the IDs, oldest
	// first.
	HistoryCharges(paymentIntentIDs, chargeIDs []string) ([]HistoryCharge, error)
	// SaveHistoryInvoice stores the failed invoice (replacing how it ended) and joins its
	// Attempts (by charge ID) to it.
	SaveHistoryInvoice(inv PastInvoice) error
	// UnlearnedHistory returns up to limit stored invoices with a charge whose outcome the model
	// has not learned, the earliest failure first, each with all its charges.
	UnlearnedHistory(limit int) ([]PastInvoice, error)
	// MarkHistoryLearned records that the model learned the outcomes of the charges.
	MarkHistoryLearned(chargeIDs []string) error
	// PastInvoices returns up to limit of the customer's stored invoices that ended before the
	// time, the latest ended first, without their charges.
	PastInvoices(customerID string, before time.Time, limit int) ([]PastInvoice, error)
	// HistoryImport returns the latest history import; ENOTFOUND if there was none.
	HistoryImport() (HistoryImport, error)
	// SaveHistoryImport stores the import's checkpoint, setting its ID when it is new.
	SaveHistoryImport(h *HistoryImport) error

	// ModelSnapshot returns the model's latest snapshot; ENOTFOUND if there is none.
	ModelSnapshot(model string) (ModelSnapshot, error)
	// SaveModelSnapshot stores s unless a snapshot of the model up to a later observation exists.
	SaveModelSnapshot(s ModelSnapshot) error
	// InsertSuppression records that the customer receives nothing more on the channel (a hard
	// bounce, an unsubscribe). The first record of a (customer, channel) stands: inserting
	// again changes nothing and is not an error.
	InsertSuppression(s *Suppression) error
	// Suppression returns the customer's suppression on the channel; ENOTFOUND if there is none.
	Suppression(customerID, channel string) (Suppression, error)

	// InsertNotice stores n, setting its ID; ECONFLICT if a notice of its Kind and Key exists.
	InsertNotice(n *Notice) error
	// UpdateNotice saves the recipient, content, status, error and send time of a notice.
	UpdateNotice(n *Notice) error
	// NoticeByKey returns the notice of the kind and key; ENOTFOUND if there is none.
	NoticeByKey(kind, key string) (Notice, error)
	// Notice returns the notice; ENOTFOUND if there is none.
	Notice(id int64) (Notice, error)

	// RecordPaymentMethodChange keeps ch as its customer's newest payment-method change unless
	// the one kept is later. Of two changes in the same second the one recorded last stands,
	// except that the same card stays refreshed if either said so; recording a change again
	// changes nothing. On PostgreSQL it takes a lock on the customer that PaymentMethodChange
	// takes too, held until the transaction ends, so a change recorded while a case of the
	// customer opens is seen by one of the two.
	RecordPaymentMethodChange(ch *PaymentMethodChange) error
	// PaymentMethodChange returns the customer's newest payment-method change, taking the
	// customer's lock (see RecordPaymentMethodChange); ENOTFOUND if none is kept.
	PaymentMethodChange(customerID string) (PaymentMethodChange, error)
	// PrunePaymentMethodChanges deletes the changes made before the time and says how many.
	PrunePaymentMethodChanges(before time.Time) (int, error)

	// Enqueue adds jobs to the transaction.
	Enqueue(jobs ...Job) error

	// Cursor reads a named string kept by the service (for example the reconciliation
	// position); "" if unset. SetCursor writes it.
	Cursor(name string) (string, error)
	SetCursor(name, value string) error
}

// Validate reports an EINVALID error if the job cannot be enqueued: it needs a kind.
func (j Job) Validate() error {
	if j.Kind == "" {
		return Errorf(EINVALID, "job has no kind")
	}
	return nil
}
