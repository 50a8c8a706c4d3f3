package report

import (
	"fmt"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// BenchmarkBuild reports on 10,000 failed invoices of three charges each (a failure, a failed
// retry a day later, a passing one two days after) and 20,000 first-try successes.
func BenchmarkBuild(b *testing.B) {
	var h recoup.HistoryRecord
	h.Import = recoup.HistoryImport{Phase: recoup.ImportDone}
	for i := range 10_000 {
		pm, start := fmt.Sprintf("pm_%d", i), t0.Add(time.Duration(i)*time.Hour)
		inv := fmt.Sprintf("in_%d", i)
		chs := []recoup.HistoryCharge{charge(pm+"a", inv, pm, start, 1000, "usd", "insufficient_funds"),
			charge(pm+"b", inv, pm, start.Add(day), 1000, "usd", "do_not_honor"),
			charge(pm+"c", inv, pm, start.Add(3*day), 1000, "usd", "")}
		h.Invoices = append(h.Invoices, recoup.PastInvoice{ID: inv, CustomerID: "cus", Amount: 1000, Currency: "usd",
			Category: recoup.CategoryFunds, FirstFailedAt: start, Ended: recoup.PastPaidByRetry, EndedAt: start.Add(3 * day), Attempts: chs})
		h.Charges = append(h.Charges, chs...)
		for j := range 2 {
			h.Charges = append(h.Charges, charge(fmt.Sprintf("%s_ok%d", pm, j), "", pm+"x", start.Add(time.Duration(j)*time.Minute), 1000, "usd", ""))
		}
	}
	b.ResetTimer()
	for b.Loop() {
		Build(h, Options{From: t0, To: t0.Add(500 * day)})
	}
}
