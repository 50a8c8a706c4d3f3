package report

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// t0 is a Monday, 10:00 UTC.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func charge(id, invoice, pm string, at time.Time, amount int64, currency, code string) recoup.HistoryCharge {
	ch := recoup.HistoryCharge{InvoiceID: invoice, HistoricalCharge: recoup.HistoricalCharge{ID: id, Created: at, Amount: amount,
		Currency: currency, Status: "succeeded", CustomerID: "cus_" + pm, PaymentMethodID: pm, CardBrand: "visa"}}
	if code != "" {
		ch.Status = "failed"
		ch.Decline = &recoup.Decline{Code: "card_declined", DeclineCode: code}
	}
	return ch
}

// sample is a small history whose figures are worked out by hand in TestBuild.
//
//	A funds (insufficient_funds), 10.00 USD: fails Mon 10:00, again Tue 10:00, passes Thu 10:00
//	B funds, 20.00 USD: fails Mon 11:00, paid with a new card Wed 11:00
//	C hard (stolen_card), 5.00 EUR: fails Mon 10:00, charged again Tue 10:00 (a breach), voided
//	D issuer_soft (do_not_honor), 7.00 USD, a Japanese card: fails Mon 10:00 UTC (19:00 in Tokyo), open
//	F, G hard (stolen_card), 5.00 EUR each: fail Mon 12:00 and 13:00, marked uncollectible
//	e1: a first-try success, Mon 10:00
func sample() recoup.HistoryRecord {
	a := []recoup.HistoryCharge{charge("a1", "in_a", "pm_a", t0, 1000, "usd", "insufficient_funds"),
		charge("a2", "in_a", "pm_a", t0.Add(day), 1000, "usd", "insufficient_funds"),
		charge("a3", "in_a", "pm_a", t0.Add(3*day), 1000, "usd", "")}
	b := []recoup.HistoryCharge{charge("b1", "in_b", "pm_b", t0.Add(time.Hour), 2000, "usd", "insufficient_funds"),
		charge("b2", "in_b", "pm_b2", t0.Add(2*day+time.Hour), 2000, "usd", "")}
	c := []recoup.HistoryCharge{charge("c1", "in_c", "pm_c", t0, 500, "eur", "stolen_card"),
		charge("c2", "in_c", "pm_c", t0.Add(day), 500, "eur", "stolen_card")}
	d := []recoup.HistoryCharge{charge("d1", "in_d", "pm_d", t0, 700, "usd", "do_not_honor")}
	d[0].CardCountry = "JP"
	f := []recoup.HistoryCharge{charge("f1", "in_f", "pm_f", t0.Add(2*time.Hour), 500, "eur", "stolen_card")}
	g := []recoup.HistoryCharge{charge("g1", "in_g", "pm_g", t0.Add(3*time.Hour), 500, "eur", "stolen_card")}
	e := charge("e1", "", "pm_e", t0, 900, "usd", "")
	inv := func(id string, cat recoup.Category, chs []recoup.HistoryCharge, ended string, endedAt time.Time) recoup.PastInvoice {
		return recoup.PastInvoice{ID: id, CustomerID: chs[0].CustomerID, Country: chs[0].CardCountry, Amount: chs[0].Amount,
			Currency: chs[0].Currency, Category: cat, FirstFailedAt: chs[0].Created, Ended: ended, EndedAt: endedAt, Attempts: chs}
	}
	var all []recoup.HistoryCharge
	for _, chs := range [][]recoup.HistoryCharge{a, b, c, d, f, g, {e}} {
		all = append(all, chs...)
	}
	return recoup.HistoryRecord{
		Import: recoup.HistoryImport{Phase: recoup.ImportDone, Since: t0.Add(-300 * day), UpdatedAt: t0.Add(40 * day)},
		Invoices: []recoup.PastInvoice{
			inv("in_a", recoup.CategoryFunds, a, recoup.PastPaidByRetry, t0.Add(3*day)),
			inv("in_c", recoup.CategoryHard, c, recoup.PastUnpaid, t0.Add(30*day)),
			inv("in_d", recoup.CategoryIssuerSoft, d, "", time.Time{}),
			inv("in_b", recoup.CategoryFunds, b, recoup.PastPaidByCustomer, t0.Add(2*day+time.Hour)),
			inv("in_f", recoup.CategoryHard, f, recoup.PastUnpaid, t0.Add(20*day)),
			inv("in_g", recoup.CategoryHard, g, recoup.PastUnpaid, t0.Add(20*day)),
		},
		Charges: all,
	}
}

func TestBuild(t *testing.T) {
	r := Build(sample(), Options{From: t0.Add(-day), To: t0.Add(50 * day)})

	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
		}
	}
	check("charges", r.Charges, Rate{K: 8, N: 11})
	check("outcomes", r.Outcomes, Outcomes{Invoices: 6, ByRetry: 1, ByNewCard: 1, Unpaid: 3, Open: 1})
	check("recovered", r.Recovered(), Rate{K: 2, N: 6})
	check("amounts", r.Amounts, []Amounts{
		{Currency: "usd", Failed: 3700, ByRetry: 1000, ByCustomer: 2000, Open: 700},
		{Currency: "eur", Failed: 1500, Lost: 1500},
	})
	check("by category", r.ByCategory, []Group{
		{Key: "funds", Label: "insufficient funds", Outcomes: Outcomes{Invoices: 2, ByRetry: 1, ByNewCard: 1}, Retries: Rate{K: 1, N: 2}},
		{Key: "issuer_soft", Label: "generic issuer decline", Outcomes: Outcomes{Invoices: 1, Open: 1}},
		{Key: "hard", Label: "card never to retry", Outcomes: Outcomes{Invoices: 3, Unpaid: 3}, Retries: Rate{K: 0, N: 1}},
	})
	stolen := Group{Key: "stolen_card", Label: "stolen card", Outcomes: Outcomes{Invoices: 3, Unpaid: 3}, Retries: Rate{K: 0, N: 1}}
	check("by code", r.ByCode, []Group{
		stolen,
		{Key: "insufficient_funds", Label: "insufficient funds", Outcomes: Outcomes{Invoices: 2, ByRetry: 1, ByNewCard: 1}, Retries: Rate{K: 1, N: 2}},
		{Key: "do_not_honor", Label: "do not honor", Outcomes: Outcomes{Invoices: 1, Open: 1}},
	})
	check("never recovered", r.NeverRecovered, []Group{stolen})
	check("by retry number", r.ByRetryNumber[:3], []Bucket{
		{Label: "1st retry", Retries: Rate{K: 0, N: 2}}, // a2 and c2 failed; b2 is another card
		{Label: "2nd retry", Retries: Rate{K: 1, N: 1}}, // a3
		{Label: "3rd retry"},
	})
	hours := map[int]Bucket{}
	for h, b := range r.ByHour {
		if b.Charges.N > 0 || b.Retries.N > 0 {
			hours[h] = b
		}
	}
	check("by local hour", hours, map[int]Bucket{
		10: {Label: "10:00", Charges: Rate{K: 4, N: 6}, Retries: Rate{K: 1, N: 3}},
		11: {Label: "11:00", Charges: Rate{K: 1, N: 2}},
		12: {Label: "12:00", Charges: Rate{K: 1, N: 1}},
		13: {Label: "13:00", Charges: Rate{K: 1, N: 1}},
		19: {Label: "19:00", Charges: Rate{K: 1, N: 1}}, // the Japanese card, in Tokyo's time
	})
	check("by local weekday", r.ByWeekday[:5], []Bucket{
		{Label: "Monday", Charges: Rate{K: 6, N: 7}},
		{Label: "Tuesday", Charges: Rate{K: 2, N: 2}, Retries: Rate{K: 0, N: 2}},
		{Label: "Wednesday", Charges: Rate{K: 0, N: 1}},
		{Label: "Thursday", Charges: Rate{K: 0, N: 1}, Retries: Rate{K: 1, N: 1}},
		{Label: "Friday"},
	})
	check("by days since the failure", r.ByDaysSince[:5], []Bucket{
		{Label: "within a day"},
		{Label: "day 1", Retries: Rate{K: 0, N: 2}},
		{Label: "day 2"},
		{Label: "day 3", Retries: Rate{K: 1, N: 1}},
		{Label: "days 4-6"},
	})
	check("median days to recovery", r.Recovery.MedianDays, 2.5) // B in 2 days, A in 3
	round := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = math.Round(x*100) / 100
		}
		return out
	}
	check("recovered by any means by day 0-4 (%)", round(r.Recovery.Any[:5]), []float64{0, 0, 16.67, 33.33, 33.33})
	check("recovered by a retry by day 0-4 (%)", round(r.Recovery.ByRetry[:5]), []float64{0, 0, 0, 16.67, 16.67})
	check("curve length", len(r.Recovery.Any), CurveDays+1)
	check("breaches", r.Breaches, []Breach{{ChargeID: "c2", InvoiceID: "in_c", CustomerID: "cus_pm_c", Card: "pm_c", Brand: "visa",
		At: t0.Add(day), Rule: "charged after a decline that forbids any further charge on the card: decline code stolen_card (declined 2026-03-02T10:00:00Z)"}})
	check("breaches by rule", r.BreachRules, []Counted{{Rule: "charged after a decline that forbids any further charge on the card: decline code stolen_card", Count: 1}})
	if !r.ImportDone || !r.ImportedAt.Equal(t0.Add(40*day)) {
		t.Errorf("import: done %v at %v, want done at %v", r.ImportDone, r.ImportedAt, t0.Add(40*day))
	}
}

func TestBuildZoneFallback(t *testing.T) {
	// A card with no country is read in the given zone: 10:00 UTC is 05:00 in New York.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	h := recoup.HistoryRecord{Charges: []recoup.HistoryCharge{charge("x", "", "pm_x", t0, 100, "usd", "")}}
	r := Build(h, Options{Zone: ny})
	if r.ByHour[5].Charges.N != 1 {
		t.Errorf("by hour in New York: %+v, want the charge at 05:00", r.ByHour)
	}
}

func TestEndings(t *testing.T) {
	failed := charge("1", "in", "pm_1", t0, 100, "usd", "authentication_required")
	same := charge("2", "in", "pm_1", t0.Add(day), 100, "usd", "")
	other := charge("3", "in", "pm_2", t0.Add(day), 100, "usd", "")
	for _, tc := range []struct {
		name     string
		ended    string
		attempts []recoup.HistoryCharge
		want     end
	}{
		{"a retry of the card", recoup.PastPaidByRetry, []recoup.HistoryCharge{failed, same}, endRetry},
		{"a new card", recoup.PastPaidByCustomer, []recoup.HistoryCharge{failed, other}, endNewCard},
		{"the same card after authenticating", recoup.PastPaidByCustomer, []recoup.HistoryCharge{failed, same}, endAuth},
		{"outside Stripe", recoup.PastPaidByCustomer, []recoup.HistoryCharge{failed}, endElsewhere},
		{"voided", recoup.PastUnpaid, []recoup.HistoryCharge{failed}, endUnpaid},
		{"open", "", []recoup.HistoryCharge{failed}, endOpen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ending(recoup.PastInvoice{Ended: tc.ended, Attempts: tc.attempts}); got != tc.want {
				t.Errorf("ending: %d, want %d", got, tc.want)
			}
		})
	}
}
