package engine_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
	"github.com/recoup-hq/recoup/timing"
)

func pastCharge(id, pm string, at time.Time, code string) recoup.HistoryCharge {
	ch := recoup.HistoryCharge{HistoricalCharge: recoup.HistoricalCharge{ID: id, Created: at, Status: "succeeded",
		PaymentMethodID: pm, CardBrand: "visa", CardFunding: "debit", CardCountry: "FR", Amount: 4200, Currency: "eur"}}
	if code != "" {
		ch.Status = "failed"
		ch.Decline = &recoup.Decline{Code: "card_declined", DeclineCode: code, OutcomeType: "issuer_declined",
			NetworkStatus: "declined_by_network", CardFunding: "debit", CardCountry: "FR"}
	}
	return ch
}

// A past invoice's retries are described exactly as the timing model describes recoup's own
// retry of a case at that moment: the same timing.Case (card, decline, the customer's zone and
// calendar from the card's country, the earlier charges), the same features.
func TestHistoryObservationsDescribeARetryAsTheEngineWould(t *testing.T) {
	p := policy.Default()
	t0 := time.Date(2025, 5, 28, 7, 0, 0, 0, time.UTC)
	t1, t2, t3 := t0.Add(72*time.Hour), t0.Add(120*time.Hour), t0.Add(170*time.Hour)
	inv := recoup.PastInvoice{ID: "in_1", CustomerID: "cus_1", Country: "FR", Amount: 4200, Currency: "eur",
		Category: recoup.CategoryFunds, FirstFailedAt: t0, Attempts: []recoup.HistoryCharge{
			pastCharge("ch_0", "pm_1", t0, "insufficient_funds"),
			pastCharge("ch_1", "pm_1", t1, "do_not_honor"),
			pastCharge("ch_x", "pm_2", t2, "insufficient_funds"), // another card: teaches nothing
			pastCharge("ch_2", "pm_1", t3, ""),
		}}
	past := timing.History{Last: timing.PastPaidByRetry, Paid: []time.Time{t0.Add(-30 * 24 * time.Hour)}}
	prior := func(country string) []float64 {
		if country != "FR" {
			t.Errorf("pay prior asked for %q, want FR", country)
		}
		return nil
	}
	got := engine.HistoryObservations(inv, past, p, prior)

	paris := timing.Zone("FR", "", p.Location)
	base := timing.Case{Amount: 4200, Currency: "eur", FirstFailed: t0, Loc: paris, Cal: timing.CalendarFor("FR"),
		Country: "FR", Past: past, Brand: "visa", Funding: "debit"}
	first := base
	first.Category, first.Code, first.LastAttempt, first.Charged = recoup.CategoryFunds, "insufficient_funds", t0, []time.Time{t0}
	second := base
	second.Category, second.Code = recoup.CategoryIssuerSoft, "do_not_honor"
	second.LastAttempt, second.Charged = t2, []time.Time{t0, t1, t2}
	want := []recoup.Observation{
		{Model: engine.ModelName, Kind: recoup.ObserveOutcome, Source: recoup.ObservedHistory, Features: timing.Observed(first, t1), At: t1},
		{Model: engine.ModelName, Kind: recoup.ObserveOutcome, Source: recoup.ObservedHistory, Features: timing.Observed(second, t3), Success: true, At: t3},
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("observations:\n got %+v\nwant %+v", got, want)
	}
	if !slices.Contains(got[0].Features, "past:paid_by_retry") {
		t.Errorf("features lack the customer's history: %v", got[0].Features)
	}
}

func TestPastInvoiceOfSaysHowItEnded(t *testing.T) {
	t0 := time.Date(2025, 5, 28, 7, 0, 0, 0, time.UTC)
	charges := []recoup.HistoryCharge{
		pastCharge("ch_2", "pm_1", t0.Add(96*time.Hour), ""),
		pastCharge("ch_0", "pm_1", t0, "insufficient_funds"),
		pastCharge("ch_other", "pm_9", t0, ""), // another invoice's
	}
	charges[0].PaymentIntentID, charges[1].PaymentIntentID, charges[2].PaymentIntentID = "pi_1", "pi_1", "pi_9"
	for _, tc := range []struct {
		name  string
		inv   recoup.HistoricalInvoice
		ended string
	}{
		{"paid by a retry of the card", recoup.HistoricalInvoice{Status: recoup.InvoicePaid, PaidAt: t0.Add(96 * time.Hour)}, recoup.PastPaidByRetry},
		{"paid outside Stripe", recoup.HistoricalInvoice{Status: recoup.InvoicePaid, PaidOutOfBand: true, PaidAt: t0.Add(time.Hour)}, recoup.PastPaidByCustomer},
		{"voided", recoup.HistoricalInvoice{Status: recoup.InvoiceVoid, VoidedAt: t0.Add(time.Hour)}, recoup.PastUnpaid},
		{"still open", recoup.HistoricalInvoice{Status: recoup.InvoiceOpen}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.inv.ID, tc.inv.CustomerID, tc.inv.AmountDue, tc.inv.Currency, tc.inv.PaymentIntentIDs = "in_1", "cus_1", 4200, "eur", []string{"pi_1"}
			p, ok := engine.PastInvoiceOf(tc.inv, charges)
			if !ok {
				t.Fatal("a failed invoice was not kept")
			}
			if p.Ended != tc.ended || p.Category != recoup.CategoryFunds || !p.FirstFailedAt.Equal(t0) || p.Country != "FR" {
				t.Errorf("past invoice %+v, want ended %q, funds, failed at %s in FR", p, tc.ended, t0)
			}
			if ids := []string{p.Attempts[0].ID, p.Attempts[1].ID}; len(p.Attempts) != 2 || ids[0] != "ch_0" {
				t.Errorf("attempts %v, want ch_0 then ch_2", p.Attempts)
			}
		})
	}
	if _, ok := engine.PastInvoiceOf(recoup.HistoricalInvoice{ID: "in_2", PaymentIntentIDs: []string{"pi_9"}}, charges); ok {
		t.Error("an invoice paid at the first try was kept")
	}
}

// In observe mode, each of Stripe's own attempts the engine records teaches the timing model,
// marked as Stripe's: the declined retry and the retry that paid. The case's first failure is
// not a retry and teaches nothing.
func TestObserveModeLearnsFromStripesAttempts(t *testing.T) {
	h := newHarness(t, observePolicy)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return h.now }}).Start()
	t.Cleanup(fake.Close)
	gw, err := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_observe", APIBase: fake.URL(), MaxNetworkRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: gw, Notifier: h.notes, Policy: h.eng.Policy()})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds"),
		Behaviour: stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))})
	if err != nil {
		t.Fatal(err)
	}
	h.ingest("evt_1", "invoice.payment_failed", r.InvoiceID, r.CustomerID)
	h.advance(3 * 24 * time.Hour)
	if n := len(h.observations()); n != 0 {
		t.Fatalf("%d observations after the first failure, want none", n)
	}
	if paid, err := fake.AutoRetry(r.InvoiceID); err != nil || paid {
		t.Fatalf("Stripe's retry: %v %v", paid, err)
	}
	h.ingest("evt_2", "invoice.payment_failed", r.InvoiceID, r.CustomerID)
	h.ingest("evt_2b", "invoice.updated", r.InvoiceID, r.CustomerID) // the same attempt seen again
	h.advance(2 * 24 * time.Hour)
	if err := fake.SetPaymentMethodBehaviour(r.PaymentMethodID, stripefake.Succeed()); err != nil {
		t.Fatal(err)
	}
	if paid, err := fake.AutoRetry(r.InvoiceID); err != nil || !paid {
		t.Fatalf("Stripe's second retry: %v %v", paid, err)
	}
	h.ingest("evt_3", "invoice.paid", r.InvoiceID, r.CustomerID)
	h.runDue()
	h.wantState(r.InvoiceID, recoup.StateRecovered)

	obs := h.observations()
	if len(obs) != 2 {
		t.Fatalf("%d observations, want 2 (Stripe's declined retry, its paid retry): %+v", len(obs), obs)
	}
	for i, want := range []bool{false, true} {
		if obs[i].Source != recoup.ObservedStripe || obs[i].Success != want {
			t.Errorf("observation %d: source %q success %v, want stripe %v", i, obs[i].Source, obs[i].Success, want)
		}
		if !slices.Contains(obs[i].Features, "code:insufficient_funds") {
			t.Errorf("observation %d lacks the decline the case stood on: %v", i, obs[i].Features)
		}
	}
}
