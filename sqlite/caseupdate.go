package sqlite

import (
	"strings"
	"sync"

	"github.com/recoup-hq/recoup"
)

// The narrow case update. An UPDATE that sets an indexed column rewrites that column's index
// entries even when the value is the same, and the cases table has eight indexes (state,
// customer, subscription, invoice, email, the dashboard's overview, review) and a rollup
// trigger. A case step changes few of them, usually none but the state, so UpdateCase sets an
// indexed column only when its value differs from the row's. Measured with a 20,000-case
// table: a read-modify-update transaction took about 100 µs with every column set, 45 µs with
// the changed ones only.
//
// The row's values come from the transaction's own reads (tx.staged): a transaction that read
// (or wrote) case id at version v knows its indexed columns at v, and nothing else writes the row while
// the transaction holds the database (BEGIN IMMEDIATE; every change of a case goes through
// UpdateCase, which bumps the version). An update of a case not read in the transaction, or at
// another version, sets every column as before.

// indexedCase is a case's indexed columns, as stored.
type indexedCase struct {
	invoice, customer, subscription, email, currency string
	state, category, recoveredBy, review             string
	amount                                           int64
	createdAt, resolvedAt                            any // timeArg
}

func indexedOf(c *recoup.Case) indexedCase {
	return indexedCase{invoice: c.InvoiceID, customer: c.CustomerID, subscription: c.SubscriptionID,
		email: c.CustomerEmail, currency: c.Amount.Currency, state: string(c.State), category: string(c.Category),
		recoveredBy: string(c.RecoveredBy), review: string(c.Review), amount: c.Amount.Amount,
		createdAt: timeArg(c.CreatedAt), resolvedAt: timeArg(c.ResolvedAt)}
}

// caseSetColumns are the columns UpdateCase sets, in caseArgs order, and whether each is
// indexed.
var caseSetColumns = func() []struct {
	name    string
	indexed bool
} {
	indexed := map[string]bool{"invoice_id": true, "customer_id": true, "subscription_id": true, "customer_email": true,
		"amount": true, "currency": true, "state": true, "category": true, "recovered_by": true, "created_at": true,
		"resolved_at": true, "review": true}
	var cols []struct {
		name    string
		indexed bool
	}
	for _, name := range strings.Split(caseColumns, ",") {
		name = strings.TrimSpace(name)
		if name == "id" || name == "version" {
			continue
		}
		cols = append(cols, struct {
			name    string
			indexed bool
		}{name, indexed[name]})
	}
	return cols
}()

// unchangedIndexed returns the set (bit i for caseSetColumns[i]) of indexed columns whose value
// in c is the one in old.
func unchangedIndexed(old indexedCase, c *recoup.Case) uint64 {
	now := indexedOf(c)
	var mask uint64
	for i, col := range caseSetColumns {
		var same bool
		switch col.name {
		case "invoice_id":
			same = old.invoice == now.invoice
		case "customer_id":
			same = old.customer == now.customer
		case "subscription_id":
			same = old.subscription == now.subscription
		case "customer_email":
			same = old.email == now.email
		case "amount":
			same = old.amount == now.amount
		case "currency":
			same = old.currency == now.currency
		case "state":
			same = old.state == now.state
		case "category":
			same = old.category == now.category
		case "recovered_by":
			same = old.recoveredBy == now.recoveredBy
		case "created_at":
			same = old.createdAt == now.createdAt
		case "resolved_at":
			same = old.resolvedAt == now.resolvedAt
		case "review":
			same = old.review == now.review
		}
		if col.indexed && same {
			mask |= 1 << i
		}
	}
	return mask
}

// updateQueries caches the UPDATE statement of each set of skipped columns.
var updateQueries sync.Map // uint64 -> string

// updateCaseQuery returns the UPDATE of a case that sets every column but those in skip; it
// takes caseArgs without them (without), then the id and the version.
func updateCaseQuery(skip uint64) string {
	if q, ok := updateQueries.Load(skip); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString("UPDATE cases SET ")
	for i, col := range caseSetColumns {
		if skip&(1<<i) != 0 {
			continue
		}
		b.WriteString(col.name)
		b.WriteString(" = ?, ")
	}
	b.WriteString("version = version + 1 WHERE id = ? AND version = ?")
	q, _ := updateQueries.LoadOrStore(skip, b.String())
	return q.(string)
}

// without returns args without the positions in skip.
func without(args []any, skip uint64) []any {
	if skip == 0 {
		return args
	}
	out := args[:0]
	for i, a := range args {
		if skip&(1<<i) == 0 {
			out = append(out, a)
		}
	}
	return out
}
