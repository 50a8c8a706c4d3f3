package main

import (
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// startSMTP runs an SMTP server on 127.0.0.1 that keeps every message.
func startSMTP(t *testing.T) (*smtpCapture, string) {
	t.Helper()
	mb := &smtpCapture{}
	srv := smtp.NewServer(mb)
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return mb, ln.Addr().String()
}

func emailComms(addr string) CommsFlags {
	return CommsFlags{SMTPURL: "smtp://" + addr, SMTPInsecure: true, EmailFrom: "Acme Billing <billing@acme.example>",
		PublicURL: "http://127.0.0.1:1", LinkSecret: "an-e2e-link-secret-of-32-characters!", BrandName: "Acme"}
}

func (c *smtpCapture) text(t *testing.T, i int) string {
	t.Helper()
	c.mu.Lock()
	raw := c.msgs[i]
	c.mu.Unlock()
	_, text := textPart(t, raw)
	return text
}

// waitJobs waits until n jobs of the kind matching match (nil: any) have completed.
func (p *process) waitJobs(kind recoup.JobKind, n int, match func(recoup.Job) bool) {
	p.t.Helper()
	deadline := time.After(45 * time.Second)
	for done := 0; done < n; {
		select {
		case ev := <-p.events:
			if ev.Job.Kind == kind && ev.Outcome == jobs.Completed && (match == nil || match(ev.Job)) {
				done++
			}
		case <-deadline:
			p.t.Fatalf("timed out waiting for %d %s jobs", n, kind)
		}
	}
}

// recoup serve with RECOUP_CONFIRMATION: the customer told about a hard decline pays on their
// own, and gets one "payment received" email.
func TestE2EPaymentReceived(t *testing.T) {
	mb, addr := startSMTP(t)
	w := newWorld(t)
	w.policyYAML = commsPolicy
	p := w.start(sqliteURL(t), func(c *ServeCmd) {
		c.CommsFlags = emailComms(addr)
		c.Confirmation = true
	})
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "ada@example.com", Decline: stripefake.CardDeclined("stolen_card")})
	if err != nil {
		t.Fatal(err)
	}
	p.waitFor("the day-0 email", func() bool { return mb.count() == 1 })
	if err := w.fake.PayByCustomer(r.InvoiceID, r.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	p.waitState(r.InvoiceID, recoup.StateRecovered)
	p.waitFor("the confirmation", func() bool { return mb.count() == 2 })
	if text := mb.text(t, 1); !strings.Contains(text, "We have received your payment of $20.00") || strings.Contains(text, "/u/") {
		t.Errorf("confirmation:\n%s", text)
	}
	v, _ := p.caseOf(r.InvoiceID)
	if ms := p.waitSent(v.Case.ID, 2); ms[1].Step != recoup.StepConfirmation || ms[1].Status != recoup.MessageSent {
		t.Fatalf("messages %+v", ms)
	}
}

// recoup serve with RECOUP_INVOICE_REMINDER_DAYS: an invoice sent to be paid gets its reminders
// before and on the due date, and none after the customer paid.
func TestE2EInvoiceReminders(t *testing.T) {
	slow(t)
	mb, addr := startSMTP(t)
	w := newWorld(t)
	w.clock.advanceTo(nextNoon(w.clock.Now()))
	p := w.start(sqliteURL(t), func(c *ServeCmd) {
		c.CommsFlags = emailComms(addr)
		c.ReminderDays = []int{-3, 0, 3}
	})
	due := w.clock.Now().Add(5 * 24 * time.Hour)
	cus := w.fake.CreateCustomer(stripefake.CustomerParams{Email: "grace@example.com", Name: "Grace Hopper"})
	inv := w.fake.CreateInvoice(stripefake.InvoiceParams{Customer: cus, AmountDue: 9900, CollectionMethod: "send_invoice", DueDate: due})
	p.waitJobs(recoup.JobProcessEvent, 1, nil) // invoice.finalized (the only event handled so far) planned the reminders

	w.clock.advanceTo(due.Add(-3*24*time.Hour + time.Minute))
	p.waitFor("the reminder 3 days before", func() bool { return mb.count() == 1 })
	if text := mb.text(t, 0); !strings.Contains(text, "Hi Grace,") || !strings.Contains(text, "is due on") ||
		!strings.Contains(text, "Pay the invoice: http://127.0.0.1:1/n/") || !strings.Contains(text, "http://127.0.0.1:1/unsubscribe/n/") {
		t.Fatalf("reminder:\n%s", text)
	}
	w.clock.advanceTo(due.Add(time.Minute))
	p.waitFor("the reminder on the due date", func() bool { return mb.count() == 2 })
	if text := mb.text(t, 1); !strings.Contains(text, "is due today") {
		t.Errorf("reminder:\n%s", text)
	}
	pm := w.fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: cus})
	if err := w.fake.PayByCustomer(inv, pm); err != nil {
		t.Fatal(err)
	}
	w.clock.advanceTo(due.Add(3*24*time.Hour + time.Minute))
	// The day-3 reminder runs, finds the invoice paid, and sends nothing.
	p.waitJobs(recoup.JobInvoiceReminder, 1, func(j recoup.Job) bool { return j.InvoiceID == inv && j.Seq == 3 })
	if mb.count() != 2 {
		t.Errorf("a paid invoice was reminded of: %d emails", mb.count())
	}
}

// recoup serve with RECOUP_CARD_EXPIRY_NOTICES: Stripe says a card expires this month, the
// subscription it pays renews next month: one card_expiring email, whose link opens the card
// update portal for the customer; the same warning again sends nothing more.
func TestE2ECardExpiringNotice(t *testing.T) {
	mb, addr := startSMTP(t)
	w := newWorld(t)
	w.clock.advanceTo(nextNoon(w.clock.Now()))
	p := w.start(sqliteURL(t), func(c *ServeCmd) {
		c.CommsFlags = emailComms(addr)
		c.CardExpiring = true
	})
	now := w.clock.Now().UTC()
	expires := recoup.CardExpiry(int(now.Month()), now.Year()) // the card works through this month
	cus := w.fake.CreateCustomer(stripefake.CustomerParams{Email: "ada@example.com", Name: "Ada Lovelace"})
	pm := w.fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: cus, ExpMonth: int(now.Month()), ExpYear: now.Year(), Default: true})
	w.fake.CreateSubscription(stripefake.SubscriptionParams{Customer: cus, CurrentPeriodEnd: expires.Add(10 * 24 * time.Hour), UnitAmount: 4900})
	for i := range 2 {
		if err := w.fake.CardExpiring(pm); err != nil {
			t.Fatal(err)
		}
		id := lastEventID(w, "customer.source.expiring")
		p.waitFor("the warning processed", func() bool {
			ev, err := p.app.backend.store.Event(t.Context(), id)
			return err == nil && ev.Status != recoup.EventPending
		})
		if mb.count() != 1 {
			t.Fatalf("after warning %d: %d emails, want 1", i+1, mb.count())
		}
	}
	text := mb.text(t, 0)
	if !strings.Contains(text, "Hi Ada,") || !strings.Contains(text, "expires before your next payment") {
		t.Fatalf("notice:\n%s", text)
	}
	link := regexp.MustCompile(`http://127\.0\.0\.1:1(/n/[A-Za-z0-9_-]+)`).FindStringSubmatch(text)
	if link == nil || strings.Contains(text, "4242") {
		t.Fatalf("no notice link, or card data, in:\n%s", text)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(p.url + link[1])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sessions := w.fake.PortalSessions()
	if resp.StatusCode != http.StatusSeeOther || len(sessions) != 1 || sessions[0].Customer != cus || sessions[0].Flow != "payment_method_update" {
		t.Fatalf("notice link: %d, sessions %+v", resp.StatusCode, sessions)
	}
}

// nextNoon is the next 12:00 UTC after t. Notices go out at the campaign's hour (10:00 in the
// policy's zone, UTC here) outside the quiet hours (21:00-08:00): a test that expects one at
// once starts its world at noon, whatever the wall clock says.
func nextNoon(t time.Time) time.Time {
	t = t.UTC()
	noon := time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, time.UTC)
	if !noon.After(t) {
		noon = noon.AddDate(0, 0, 1)
	}
	return noon
}

// lastEventID is the id of the fake's latest event of the type.
func lastEventID(w *world, typ string) string {
	evs := w.fake.EventsOfType(typ)
	if len(evs) == 0 {
		return ""
	}
	return evs[len(evs)-1].ID
}
