package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// testCustomerPaths specifies migration 00021: offer choices, SMS consent, message costs. A
// store without them (a Tx that does not implement the interfaces) skips the test.
func testCustomerPaths(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("an offer choice counts once per case and offer", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		os, ok := s.(recoup.OfferStore)
		if !ok {
			t.Skip("the store does not count offers")
		}
		a := createCase(t, s, minimalCase("in_off_a", "cus_off_a"))
		b := createCase(t, s, minimalCase("in_off_b", "cus_off_b"))
		record := func(c recoup.OfferChoice) (inserted bool) {
			t.Helper()
			mustTx(t, s, func(tx recoup.Tx) error {
				var err error
				inserted, err = tx.(recoup.OfferRecorder).RecordOfferChoice(c)
				return err
			})
			return inserted
		}
		if !record(recoup.OfferChoice{CaseID: a.ID, Offer: recoup.OfferPause, Segment: "default", At: base}) {
			t.Error("the first choice was not inserted")
		}
		if record(recoup.OfferChoice{CaseID: a.ID, Offer: recoup.OfferPause, Segment: "default", At: base.Add(time.Minute)}) {
			t.Error("a repeated choice was inserted again")
		}
		record(recoup.OfferChoice{CaseID: b.ID, Offer: recoup.OfferPause, Segment: "vip", At: base})
		record(recoup.OfferChoice{CaseID: b.ID, Offer: recoup.OfferPayNow, Segment: "vip", At: base})
		record(recoup.OfferChoice{CaseID: a.ID, Offer: recoup.OfferPaymentPlan, Segment: "default", At: base.Add(48 * time.Hour)})
		got, err := os.OfferCounts(context.Background(), base.Add(-time.Hour), base.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "OfferCounts", []recoup.OfferCount{{Offer: recoup.OfferPayNow, Chosen: 1}, {Offer: recoup.OfferPause, Chosen: 2}}, got)

		err = s.Tx(context.Background(), func(tx recoup.Tx) error {
			_, err := tx.(recoup.OfferRecorder).RecordOfferChoice(recoup.OfferChoice{CaseID: a.ID, Offer: "free_money", At: base})
			return err
		})
		if recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("an unknown offer: error %v, want EINVALID", err)
		}
	})
	t.Run("the latest sms consent of a number stands and keeps its customer", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		mustTx(t, s, func(tx recoup.Tx) error {
			sc, ok := tx.(recoup.SMSConsents)
			if !ok {
				t.Skip("the store keeps no sms consent")
			}
			if _, err := sc.SMSConsent("+15550001111"); !recoup.IsNotFound(err) {
				t.Errorf("no consent: error %v, want ENOTFOUND", err)
			}
			if err := sc.PutSMSConsent(&recoup.SMSConsent{Phone: "+15550001111", CustomerID: "cus_1", Consented: true,
				Source: recoup.ConsentStripe, UpdatedAt: base}); err != nil {
				return err
			}
			// A STOP from the number knows no customer: the one known is kept.
			if err := sc.PutSMSConsent(&recoup.SMSConsent{Phone: "+15550001111", Consented: false,
				Source: recoup.ConsentStop, UpdatedAt: base.Add(time.Hour)}); err != nil {
				return err
			}
			got, err := sc.SMSConsent("+15550001111")
			if err != nil {
				return err
			}
			wantEqual(t, "SMSConsent", recoup.SMSConsent{Phone: "+15550001111", CustomerID: "cus_1", Consented: false,
				Source: recoup.ConsentStop, UpdatedAt: stored(base.Add(time.Hour))}, got)
			if err := sc.PutSMSConsent(&recoup.SMSConsent{Phone: "+15550001111", Source: "guess", UpdatedAt: base}); recoup.ErrorCode(err) != recoup.EINVALID {
				t.Errorf("an unknown source: error %v, want EINVALID", err)
			}
			return nil
		})
	})
	t.Run("message costs add up by channel and currency, once per message", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		cs, ok := s.(recoup.CostStore)
		if !ok {
			t.Skip("the store counts no cost")
		}
		c := createCase(t, s, minimalCase("in_cost", "cus_cost"))
		mustTx(t, s, func(tx recoup.Tx) error {
			cr := tx.(recoup.CostRecorder)
			for step, micros := range []int64{7900, 15800} {
				m := recoup.Message{CaseID: c.ID, InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Step: step, Channel: "sms",
					Template: "default", Status: recoup.MessageSent, CreatedAt: base}
				if err := tx.InsertMessage(&m); err != nil {
					return err
				}
				mc := recoup.MessageCost{MessageID: m.ID, CaseID: c.ID, Channel: "sms", At: base,
					Receipt: recoup.Receipt{ProviderID: "SM1", Segments: step + 1, CostMicros: micros, Currency: "USD"}}
				if err := cr.RecordMessageCost(mc); err != nil {
					return err
				}
				if err := cr.RecordMessageCost(mc); err != nil { // a repeat counts once
					return err
				}
			}
			return nil
		})
		got, err := cs.ChannelCosts(context.Background(), base.Add(-time.Hour), base.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "ChannelCosts", []recoup.ChannelCost{{Channel: "sms", Currency: "USD", Messages: 2, CostMicros: 23700}}, got)
	})
}
