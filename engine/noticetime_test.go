package engine_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// localNoticeHarness is noticeHarness for a customer living in Germany (Europe/Berlin, with
// daylight saving time from 29 March 2026), the campaign sending at 09:00 with the default
// quiet hours 21:00-08:00.
func localNoticeHarness(t *testing.T, cfg engine.NoticeConfig, renewals map[string][]recoup.Renewal) (*harness, *[]engine.Draft) {
	h := newHarness(t, campaignPolicy)
	var drafts []engine.Draft
	gw := &renewalGateway{fakeGateway: h.gw, renewals: renewals}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: gw, Notifier: h.notes, Policy: h.eng.Policy(), Notices: cfg,
		Customers: customersFunc(func(id string) (recoup.Customer, error) {
			return recoup.Customer{ID: id, Name: "Ada Lovelace", Email: "ada@example.com", Country: "DE"}, nil
		}),
		Renderer: rendererFunc(func(d engine.Draft) (engine.Content, error) {
			drafts = append(drafts, d)
			return engine.Content{Subject: d.Template, Text: fmt.Sprintf("notice %d", d.NoticeID)}, nil
		})})
	return h, &drafts
}

func (g *fakeGateway) inCountry(invoiceID, country string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.invoices[invoiceID].CustomerCountry = country
}

func reminderTimes(h *harness) []time.Time {
	var at []time.Time
	for _, j := range h.pending() {
		if j.Kind == recoup.JobInvoiceReminder {
			at = append(at, j.RunAt.UTC())
		}
	}
	slices.SortFunc(at, time.Time.Compare)
	return at
}

// Invoice reminders are planned at the campaign's hour in the customer's zone, across a DST
// change, and a reminder due now at night waits for the end of the quiet hours.
func TestInvoiceRemindersAtTheCustomersLocalHour(t *testing.T) {
	utc := func(month time.Month, day, hour int) time.Time {
		return time.Date(2026, month, day, hour, 0, 0, 0, time.UTC)
	}
	tests := []struct {
		name    string
		now     time.Time
		due     time.Time
		country string
		days    []int
		want    []time.Time
	}{
		{"09:00 Berlin, before and after DST", utc(3, 2, 14), utc(3, 27, 12), "DE", []int{-3, 0, 3, 7},
			// CET (UTC+1) until 29 March, CEST (UTC+2) after.
			[]time.Time{utc(3, 24, 8), utc(3, 27, 8), utc(3, 30, 7), utc(4, 3, 7)}},
		{"no address: the policy's zone", utc(3, 2, 14), utc(3, 27, 12), "", []int{0}, []time.Time{utc(3, 27, 9)}},
		{"due today, planned at night: the end of the quiet hours; yesterday's is over", utc(3, 2, 21).Add(30 * time.Minute), utc(3, 2, 12), "DE",
			[]int{-1, 0, 1}, []time.Time{utc(3, 3, 7), utc(3, 3, 8)}},
		{"due today, planned in the afternoon: now", utc(3, 2, 14), utc(3, 2, 12), "DE", []int{0}, []time.Time{utc(3, 2, 14)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := localNoticeHarness(t, engine.NoticeConfig{Channel: "email", InvoiceDueDays: tt.days}, nil)
			h.now = tt.now
			h.gw.sendInvoice("in_s", "cus_s", 12000, tt.due)
			h.gw.inCountry("in_s", tt.country)
			h.ingest("evt_1", "invoice.finalized", "in_s", "cus_s")
			j, ok := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
			if !ok {
				t.Fatal("no event job")
			}
			if err := h.run(j); err != nil {
				t.Fatal(err)
			}
			if got := reminderTimes(h); !slices.Equal(got, tt.want) {
				t.Fatalf("reminders at %v, want %v", got, tt.want)
			}
		})
	}
}

// A card expiring event at night plans the notice for the morning in the customer's zone
// instead of sending it; the notice is then sent once, even if another event comes.
func TestCardExpiringNoticeWaitsForTheCustomersMorning(t *testing.T) {
	night := time.Date(2026, 3, 2, 22, 30, 0, 0, time.UTC) // 23:30 in Berlin
	renewals := map[string][]recoup.Renewal{"cus_1": {{CustomerID: "cus_1", SubscriptionID: "sub_1", RenewsAt: night.AddDate(0, 0, 35),
		PaymentMethodID: "pm_old", CardExpiresAt: recoup.CardExpiry(3, 2026)}}}
	h, _ := localNoticeHarness(t, engine.NoticeConfig{Channel: "email", CardExpiring: true}, renewals)
	h.now = night
	h.ingest("evt_1", "customer.source.expiring", "card_1", "cus_1")
	h.runDue()
	if len(h.notes.sent) != 0 {
		t.Fatalf("sent at 23:30 local: %+v", h.notes.sent)
	}
	var planned []recoup.Job
	for _, j := range h.pending() {
		if j.Kind == recoup.JobCardExpiring {
			planned = append(planned, j)
		}
	}
	morning := time.Date(2026, 3, 3, 7, 0, 0, 0, time.UTC) // 08:00 in Berlin, the end of the quiet hours
	if len(planned) != 1 || planned[0].CustomerID != "cus_1" || !planned[0].RunAt.Equal(morning) {
		t.Fatalf("planned %+v, want one card_expiring job for cus_1 at %s", planned, morning)
	}
	ev, err := h.store.Event(h.ctx, "evt_1")
	if err != nil || ev.Status != recoup.EventProcessed {
		t.Fatalf("event %+v %v", ev, err)
	}

	h.advance(12 * time.Hour)
	if len(h.notes.sent) != 1 {
		t.Fatalf("sent %+v, want one notice", h.notes.sent)
	}
	var n recoup.Notice
	if err := h.store.Tx(h.ctx, func(tx recoup.Tx) (err error) { n, err = tx.Notice(h.notes.sent[0].NoticeID); return err }); err != nil {
		t.Fatal(err)
	}
	if n.Status != recoup.MessageSent || !n.SentAt.Equal(morning) {
		t.Fatalf("notice %+v, want sent at %s", n, morning)
	}
	// The same card, checked again in the afternoon (invoice.upcoming): nothing more.
	h.ingest("evt_2", "invoice.upcoming", "", "cus_1")
	h.runDue()
	if err := h.eng.CardExpiringNotices(h.ctx, h.now, "cus_1"); err != nil { // a job run again
		t.Fatal(err)
	}
	if len(h.notes.sent) != 1 {
		t.Fatalf("sent %d notices, want 1", len(h.notes.sent))
	}
}
