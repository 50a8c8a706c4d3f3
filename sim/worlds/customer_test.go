package worlds

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

// The customer: updates announced with the new card in the payload, hosted payments, leavers
// who never act, messages that win or annoy, bounces.
func TestCustomers(t *testing.T) {
	t.Run("own update", func(t *testing.T) {
		w, env := startWorld(t, 600)
		inv := find(t, w, func(i *invoice) bool {
			return !i.ownAt.IsZero() && i.ownAt.Before(i.end) && !i.hosted && i.newCardGood && i.cat != recoup.CategoryAuthentication
		})
		env.runUntil(inv.ownAt)
		var ev recoup.Event
		for _, e := range env.events {
			if e.ObjectID == inv.customer {
				ev = e
			}
		}
		want := fmt.Sprintf("pm_%d_2", inv.n)
		if ev.Type != "customer.updated" || !ev.HasChanged("invoice_settings.default_payment_method") || !strings.Contains(string(ev.Payload), `"default_payment_method":"`+want+`"`) {
			t.Fatalf("event %+v %s", ev, ev.Payload)
		}
		res := pay(t, w, env, inv.id, env.now.Add(time.Minute), "")
		if !res.Paid || env.outcomes[inv.id].By != sim.ByCustomerNewCard {
			t.Fatalf("charging the new default: %+v, %+v", res, env.outcomes[inv.id])
		}
	})
	t.Run("customers open the links of messages", func(t *testing.T) {
		r := simulate(t, 2000, 17, fixedWithEmails)
		clicked := map[string]int{}
		for _, m := range r.env.clicks {
			clicked[m.InvoiceID]++
		}
		wonAndClicked, curious := 0, 0
		for id, inv := range r.invs {
			if clicked[id] > 0 && inv.persuasion == 0 {
				t.Errorf("%s opened a link no message moved them to", id)
			}
			switch {
			case inv.willAct && clicked[id] > 0:
				wonAndClicked++ // won over by a message, they acted through its link
			case !inv.willAct && clicked[id] > 0:
				curious++ // they looked, and did not act
			}
		}
		if wonAndClicked == 0 || curious == 0 {
			t.Errorf("%d won over through a link, %d opened one and did not act, of %d invoices", wonAndClicked, curious, len(r.invs))
		}
	})
	t.Run("leavers never act", func(t *testing.T) {
		r := simulate(t, 2000, 17, fixedWithEmails)
		n := 0
		for id, inv := range r.invs {
			if !inv.leaver {
				continue
			}
			n++
			if o := r.env.outcomes[id]; o.By == sim.ByCustomerPaid || o.By == sim.ByCustomerNewCard {
				t.Errorf("leaver %s recovered by %s", id, o.By)
			}
		}
		if n == 0 {
			t.Fatal("no leavers")
		}
	})
	t.Run("webhook beats email", func(t *testing.T) {
		hook := fixedWithEmails
		hook.messages = slices.Clone(hook.messages)
		for i := range hook.messages {
			hook.messages[i].channel = "webhook"
		}
		e, _ := simulate(t, 3000, 19, fixedWithEmails).rates()
		h, _ := simulate(t, 3000, 19, hook).rates()
		if h <= e {
			t.Errorf("in-app messages recovered %.1f%%, emails %.1f%%", h, e)
		}
	})
	t.Run("over-messaging loses customers", func(t *testing.T) {
		r := simulate(t, 2000, 23, dailyEmails)
		lost := 0
		for _, o := range r.env.outcomes {
			if o.LostToMessaging {
				lost++
				if o.Result != sim.Lost {
					t.Fatalf("lost to messaging but %s", o.Result)
				}
			}
		}
		// A minority effect: the same email every day for two weeks loses 10-25% of customers,
		// three spaced emails with different templates almost nobody.
		if pct := 100 * float64(lost) / 2000; pct < 10 || pct > 25 {
			t.Errorf("daily emails lost %.1f%% of customers, want 10-25%%", pct)
		}
		if calm := countLost(simulate(t, 2000, 23, fixedWithEmails)); calm > 2000/200 {
			t.Errorf("three spaced emails lost %d customers", calm)
		}
	})
	t.Run("bounce", func(t *testing.T) {
		w, env := startWorld(t, 1500)
		inv := find(t, w, func(i *invoice) bool { return i.bounces })
		env.do(env.now, func() {
			if err := w.Send(ctx, recoup.Message{InvoiceID: inv.id, Channel: "email"}); recoup.ErrorCode(err) != recoup.EINVALID {
				t.Errorf("bounce: %v", err)
			}
			if err := w.Send(ctx, recoup.Message{InvoiceID: inv.id, Channel: "webhook"}); err != nil {
				t.Errorf("webhook to a bouncing address: %v", err)
			}
		})
	})
	t.Run("authentication", func(t *testing.T) {
		w, env := startWorld(t, 600)
		inv := find(t, w, func(i *invoice) bool { return i.cat == recoup.CategoryAuthentication })
		var types []string
		for _, e := range env.events {
			if e.ObjectID == inv.id {
				types = append(types, e.Type)
			}
		}
		if !slices.Equal(types, []string{"invoice.payment_failed", "invoice.payment_action_required"}) {
			t.Fatalf("events %v", types)
		}
		if v, _ := w.Invoice(ctx, inv.id); v.LastPayment.Status != "requires_action" {
			t.Fatalf("payment status %s", v.LastPayment.Status)
		}
	})
}

func countLost(r result) int {
	n := 0
	for _, o := range r.env.outcomes {
		if o.LostToMessaging {
			n++
		}
	}
	return n
}
