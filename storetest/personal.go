package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func testPersonalData(t *testing.T, newStore func(t *testing.T) Harness) {
	// seed stores a customer's case with a message, a suppression, a notice and an event, and
	// another customer's case.
	seed := func(t *testing.T, s recoup.Store) (mine, other recoup.Case) {
		t.Helper()
		c := minimalCase("in_pd", "cus_pd")
		c.CustomerEmail = "ada@example.com"
		mine = createCase(t, s, c)
		other = createCase(t, s, minimalCase("in_other", "cus_other"))
		mustTx(t, s, func(tx recoup.Tx) error {
			for _, m := range []recoup.Message{
				{CaseID: mine.ID, CustomerID: "cus_pd", Step: 0, Channel: "email", Status: recoup.MessageSent, To: "ada@example.com",
					Subject: "Your card, Ada", Text: "Dear Ada", HTML: "<p>Dear Ada</p>", CreatedAt: base},
				{CaseID: other.ID, CustomerID: "cus_other", Step: 0, Channel: "email", Status: recoup.MessageSent, To: "bob@example.com",
					Subject: "Your card, Bob", Text: "Dear Bob", CreatedAt: base},
			} {
				if err := tx.InsertMessage(&m); err != nil {
					return err
				}
			}
			if err := tx.InsertSuppression(&recoup.Suppression{CustomerID: "cus_pd", Channel: "email", Reason: recoup.SuppressBounce,
				Detail: "550 ada@example.com: no such user", CaseID: mine.ID, CreatedAt: base}); err != nil {
				return err
			}
			n := fullNotice("cus_pd/pm/2026-04")
			n.CustomerID, n.To, n.Text = "cus_pd", "ada@example.com", "Dear Ada, your card expires"
			if err := tx.InsertNotice(&n); err != nil {
				return err
			}
			ev := newEvent("evt_pd")
			ev.CustomerID, ev.Payload, ev.Status = "cus_pd", []byte(`{"id":"evt_pd","data":{"object":{"email":"ada@example.com"}}}`), recoup.EventProcessed
			_, err := tx.InsertEvent(&ev)
			return err
		})
		return mine, other
	}

	t.Run("export returns every row naming the customer or their cases", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		mine, _ := seed(t, s)
		mustTx(t, s, func(tx recoup.Tx) error {
			return tx.AppendTimeline(&recoup.TimelineEntry{CaseID: mine.ID, At: base, Kind: recoup.EntryEvent, Summary: "opened"})
		})
		pd := s.(recoup.PersonalDataStore)
		x, err := pd.ExportCustomer(t.Context(), "cus_pd")
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"cases", "messages", "suppressions", "notices", "events", "timeline"} {
			if len(x.Tables[table]) == 0 {
				t.Errorf("the export has no %s:\n%s", table, b)
			}
		}
		for _, want := range []string{"ada@example.com", "Dear Ada", `{"id":"evt_pd","data":{"object":{"email":"ada@example.com"}}}`, "in_pd"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("the export lacks %s:\n%s", want, b)
			}
		}
		if strings.Contains(string(b), "Bob") || strings.Contains(string(b), "in_other") {
			t.Errorf("the export holds another customer's data:\n%s", b)
		}
		_, err = pd.ExportCustomer(t.Context(), "cus_nobody")
		wantCode(t, err, recoup.ENOTFOUND)
		_, err = pd.ExportCustomer(t.Context(), "")
		wantCode(t, err, recoup.EINVALID)
	})

	t.Run("erase pseudonymises, keeps the money and empties the personal fields", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		mine, other := seed(t, s)
		pd := s.(recoup.PersonalDataStore)
		_ = readCase(t, s, mine.ID) // cached, as a running server's would be
		mustTx(t, s, func(tx recoup.Tx) error {
			for _, c := range []recoup.SMSConsent{
				{Phone: "+15550100", CustomerID: "cus_pd", Consented: true, Source: recoup.ConsentStripe, UpdatedAt: base},
				{Phone: "+15550101", CustomerID: "cus_pd", Consented: false, Source: recoup.ConsentStop, UpdatedAt: base},
				{Phone: "+15550102", CustomerID: "cus_other", Consented: true, Source: recoup.ConsentStart, UpdatedAt: base},
			} {
				if err := tx.(recoup.SMSConsents).PutSMSConsent(&c); err != nil {
					return err
				}
			}
			return nil
		})
		got, err := pd.EraseCustomer(t.Context(), "cus_pd", "erased_0123456789ab")
		if err != nil {
			t.Fatal(err)
		}
		if got.Rows < 5 || got.Fields < 5 {
			t.Errorf("erased %+v", got)
		}
		c := readCase(t, s, mine.ID)
		if c.CustomerID != "erased_0123456789ab" || c.CustomerEmail != "" || c.Amount != mine.Amount || c.InvoiceID != "in_pd" {
			t.Errorf("erased case %+v", c)
		}
		ms, err := s.Messages(t.Context(), mine.ID)
		if err != nil || len(ms) != 1 {
			t.Fatalf("messages %v %v", ms, err)
		}
		if m := ms[0]; m.To != "" || m.Text != "" || m.HTML != "" || m.Subject != "" || m.CustomerID != "erased_0123456789ab" || m.Status != recoup.MessageSent {
			t.Errorf("erased message %+v", m)
		}
		mustTx(t, s, func(tx recoup.Tx) error {
			ev, err := tx.Event("evt_pd")
			if err != nil {
				return err
			}
			if len(ev.Payload) != 0 || ev.CustomerID != "erased_0123456789ab" {
				t.Errorf("erased event %+v", ev)
			}
			sup, err := tx.Suppression("erased_0123456789ab", "email")
			if err != nil {
				return err
			}
			if sup.Detail != "" {
				t.Errorf("erased suppression %+v", sup)
			}
			// The consent to texts goes; the opt-out stays, under the pseudonym; another
			// customer's consent is untouched.
			sms := tx.(recoup.SMSConsents)
			if c, err := sms.SMSConsent("+15550100"); recoup.ErrorCode(err) != recoup.ENOTFOUND {
				t.Errorf("the erased customer's consent is still stored: %+v %v", c, err)
			}
			if c, err := sms.SMSConsent("+15550101"); err != nil || c.Consented || c.CustomerID != "erased_0123456789ab" {
				t.Errorf("the erased customer's opt-out: %+v %v", c, err)
			}
			if c, err := sms.SMSConsent("+15550102"); err != nil || !c.Consented || c.CustomerID != "cus_other" {
				t.Errorf("another customer's consent: %+v %v", c, err)
			}
			return nil
		})
		if o := readCase(t, s, other.ID); o.CustomerID != "cus_other" {
			t.Errorf("another customer's case changed: %+v", o)
		}
		if ms, _ := s.Messages(t.Context(), other.ID); len(ms) != 1 || ms[0].Text != "Dear Bob" {
			t.Errorf("another customer's message changed: %+v", ms)
		}
		_, err = pd.ExportCustomer(t.Context(), "cus_pd")
		wantCode(t, err, recoup.ENOTFOUND)
		_, err = pd.EraseCustomer(t.Context(), "cus_pd", "erased_ffffffffffff")
		wantCode(t, err, recoup.ENOTFOUND)
	})

	t.Run("purge empties ignored and old payloads and old message texts", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		mine, _ := seed(t, s) // evt_pd processed, received at base+1s; messages created at base
		mustTx(t, s, func(tx recoup.Tx) error {
			for _, e := range []struct {
				id     string
				status recoup.EventStatus
				at     time.Duration
			}{{"evt_pending", recoup.EventPending, 0}, {"evt_ignored", recoup.EventIgnored, 48 * time.Hour}, {"evt_recent", recoup.EventProcessed, 48 * time.Hour}} {
				ev := newEvent(e.id)
				ev.Status, ev.ReceivedAt = e.status, base.Add(e.at)
				if _, err := tx.InsertEvent(&ev); err != nil {
					return err
				}
			}
			return nil
		})
		got, err := s.(recoup.PersonalDataStore).Purge(t.Context(), base.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got.Payloads != 2 || got.Messages != 3 {
			t.Errorf("purged %+v, want 2 payloads (evt_pd, evt_ignored) and 3 texts (2 messages, 1 notice)", got)
		}
		mustTx(t, s, func(tx recoup.Tx) error {
			for id, kept := range map[string]bool{"evt_pd": false, "evt_ignored": false, "evt_pending": true, "evt_recent": true} {
				ev, err := tx.Event(id)
				if err != nil {
					return err
				}
				if (len(ev.Payload) > 0) != kept {
					t.Errorf("%s: payload %q, want kept %v", id, ev.Payload, kept)
				}
			}
			return nil
		})
		if ms, _ := s.Messages(t.Context(), mine.ID); len(ms) != 1 || ms[0].Text != "" || ms[0].Subject != "Your card, Ada" {
			t.Errorf("after the purge: %+v", ms)
		}
	})

	t.Run("an event set ignored loses its payload at once", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		ev := newEvent("evt_later_ignored")
		mustTx(t, s, func(tx recoup.Tx) error {
			if _, err := tx.InsertEvent(&ev); err != nil {
				return err
			}
			return tx.SetEventStatus(ev.ID, recoup.EventIgnored, "nothing to do", base)
		})
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := tx.Event(ev.ID)
			if err == nil && len(got.Payload) != 0 {
				t.Errorf("the ignored event keeps its payload %q", got.Payload)
			}
			return err
		})
	})
}
