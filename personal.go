package recoup

import (
	"context"
	"strings"
	"time"
)

// Personal data: what recoup keeps about a customer, how a customer's data is exported and
// erased, and how long it is kept. docs/privacy.md says what is stored, why and for how long.

// CustomerExport is everything a store holds about one customer: the rows of every table
// that names the customer (customer_id), and of every table that names one of the customer's
// cases (case_id), by table, each row as column name to value.
type CustomerExport struct {
	CustomerID string                      `json:"customer_id"`
	Tables     map[string][]map[string]any `json:"tables"`
}

// Erased is what an erasure changed: the rows given the pseudonym, and the personal fields
// emptied.
type Erased struct {
	Pseudonym string `json:"pseudonym"`
	Rows      int64  `json:"rows"`
	Fields    int64  `json:"fields"`
}

// Purged is what a retention run emptied.
type Purged struct {
	Payloads int64 `json:"payloads"` // Stripe event payloads
	Messages int64 `json:"messages"` // message and notice texts (subject kept)
}

// ErasedPrefix starts every pseudonym: an erased customer's rows are recognisable as such.
const ErasedPrefix = "erased_"

// PersonalDataStore exports, erases and expires customers' personal data.
type PersonalDataStore interface {
	// ExportCustomer returns the customer's rows; ENOTFOUND if the store holds none.
	ExportCustomer(ctx context.Context, customerID string) (CustomerExport, error)
	// EraseCustomer replaces the customer's id by pseudonym wherever it is stored and empties
	// the personal fields (email addresses, message texts, event payloads, free-text details),
	// keeping what money and audit need: cases, amounts, invoices, attempts, the timeline.
	// ENOTFOUND if the store holds nothing of the customer (erased already, or never known).
	EraseCustomer(ctx context.Context, customerID, pseudonym string) (Erased, error)
	// Purge empties, at now, the payloads of ignored events, and those of every event no
	// longer pending received before `before`, and the texts of messages and notices created
	// before `before`.
	Purge(ctx context.Context, before time.Time) (Purged, error)
}

// ValidCustomerID reports an EINVALID error for an id that cannot be a customer's.
func ValidCustomerID(id string) error {
	if strings.TrimSpace(id) == "" || strings.HasPrefix(id, ErasedPrefix) || len(id) > 255 {
		return Errorf(EINVALID, "customer id %q: give a Stripe customer id (cus_...)", id)
	}
	return nil
}

// personalColumns are the columns emptied on erasure, by table, when the table has them.
// Ids stay (pseudonymised where they name the customer); amounts, states and times stay.
var personalColumns = map[string][]string{
	"cases":        {"customer_email", "customer_region"},
	"messages":     {"recipient", "subject", "body", "html", "generation"},
	"notices":      {"recipient", "subject", "body", "html"},
	"suppressions": {"detail"},
	"events":       {"payload"},
}

// PersonalColumns returns the columns of table emptied on erasure.
func PersonalColumns(table string) []string { return personalColumns[table] }
