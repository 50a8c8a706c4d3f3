package engine_test

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// sendInvoice plays an invoice Stripe sent to the customer to pay by due.
func (g *fakeGateway) sendInvoice(id, customer string, amount int64, due time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.invoices[id] = &recoup.Invoice{ID: id, CustomerID: customer, Status: recoup.InvoiceOpen, AmountDue: amount, AmountRemaining: amount,
		Currency: "usd", CollectionMethod: "send_invoice", DueDate: due, CustomerEmail: "billing@customer.example", Created: g.h.now}
}

func TestInvoiceRemindersFollowTheScheduleAndStopWhenPaid(t *testing.T) {
	for _, tc := range []struct {
		name   string
		paidAt int // days after finalization the customer pays; 0: never
		want   []int
	}{
		{"never paid: before, on and after the due date", 0, []int{-3, 0, 3, 7}},
		{"paid the day after the due date", 11, []int{-3, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, drafts := noticeHarness(t, engine.NoticeConfig{Channel: "email", InvoiceDueDays: []int{-3, 0, 3, 7}}, nil)
			due := h.now.AddDate(0, 0, 10)
			h.gw.sendInvoice("in_s", "cus_s", 12000, due)
			h.ingest("evt_1", "invoice.finalized", "in_s", "cus_s")
			h.ingest("evt_2", "invoice.finalized", "in_s", "cus_s") // a second delivery under another id
			h.runDue()
			if tc.paidAt > 0 {
				h.advance(time.Duration(tc.paidAt) * 24 * time.Hour)
				h.gw.mu.Lock()
				inv := h.gw.invoices["in_s"]
				inv.Status, inv.AmountPaid, inv.AmountRemaining = recoup.InvoicePaid, inv.AmountDue, 0
				h.gw.mu.Unlock()
			}
			h.advance(30 * 24 * time.Hour)
			var days []int
			for _, d := range *drafts {
				// Calendar days (the policy's zone is UTC): reminders go out at the campaign's hour,
				// not at the due date's time of day.
				date := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
				days = append(days, int(date(d.Now.UTC()).Sub(date(d.DueAt.UTC())).Hours()/24))
				if h := d.Now.UTC().Hour(); h != 9 {
					t.Errorf("reminder sent at %s, want the campaign's hour 09:00", d.Now.UTC().Format(time.TimeOnly))
				}
			}
			if len(h.notes.sent) != len(tc.want) {
				t.Fatalf("sent %d reminders (days %v), want %v", len(h.notes.sent), days, tc.want)
			}
			for i, m := range h.notes.sent {
				if m.Template != recoup.NoticeInvoiceDue || m.InvoiceID != "in_s" || m.NoticeID == 0 || m.To != "ada@example.com" {
					t.Errorf("reminder %d: %+v", i, m)
				}
				if got := days[i]; got != tc.want[i] {
					t.Errorf("reminder %d sent %d days from the due date, want %d", i, got, tc.want[i])
				}
			}
			for _, day := range tc.want {
				if err := h.eng.InvoiceReminder(h.ctx, h.now, "in_s", day); err != nil { // a job run again
					t.Fatal(err)
				}
			}
			if len(h.notes.sent) != len(tc.want) {
				t.Errorf("a reminder was sent twice: %d", len(h.notes.sent))
			}
		})
	}
}

// An invoice charged automatically gets no reminder; reminders are off without a schedule.
func TestNoRemindersForChargedInvoicesOrWhenOff(t *testing.T) {
	h, _ := noticeHarness(t, engine.NoticeConfig{Channel: "email", InvoiceDueDays: []int{0}}, nil)
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.ingest("evt_1", "invoice.finalized", "in_1", "cus_1")
	h.runDue()
	off, _ := noticeHarness(t, engine.NoticeConfig{Channel: "email"}, nil)
	off.gw.sendInvoice("in_s", "cus_s", 12000, off.now.AddDate(0, 0, 1))
	off.ingest("evt_1", "invoice.finalized", "in_s", "cus_s")
	off.advance(10 * 24 * time.Hour)
	for _, x := range []*harness{h, off} {
		for _, j := range x.pending() {
			if j.Kind == recoup.JobInvoiceReminder {
				t.Errorf("reminder planned: %+v", j)
			}
		}
		if len(x.notes.sent) != 0 {
			t.Errorf("sent %+v", x.notes.sent)
		}
	}
}
