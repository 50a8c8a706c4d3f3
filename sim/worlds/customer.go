package worlds

import (
	"context"
	"fmt"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

// Send delivers a message to the customer, who may be won over, annoyed, or both. Each message
// adds to the customer's persuasion (by its position in the sequence, tone, channel and local
// hour; less if its template was sent before) and to their annoyance (more if it comes within
// Crowded of the previous one or repeats a template). A customer acts, once, when persuasion
// exceeds their latent w; beyond their tolerance a message persuades nothing and may make them
// cancel.
func (w *Realistic) Send(_ context.Context, m recoup.Message) error {
	inv := w.live(m.InvoiceID)
	if inv == nil {
		return nil // delivered; nobody acts on a closed invoice
	}
	if m.Channel == "email" && inv.bounces {
		return recoup.Errorf(recoup.EINVALID, "hard bounce: %s does not exist", inv.email)
	}
	w.deliver(inv, m)
	return nil
}

// deliver is a message reaching the customer of an active invoice (recoup's, or Stripe's
// failed-payment email): it persuades, annoys, and may make them act or cancel.
func (w *Realistic) deliver(inv *invoice, m recoup.Message) {
	now := w.env.Now()
	mp := &w.p.Messages
	k, dup := len(inv.messages), 0
	for _, s := range inv.messages {
		if m.Template != "" && s.template == m.Template {
			dup++
		}
	}
	annoy := 1
	if k > 0 && now.Sub(inv.messages[k-1].at) < mp.Crowded {
		annoy += mp.AnnoyCrowded
	}
	if dup > 0 {
		annoy += mp.AnnoyDup
	}
	inv.annoyance += annoy
	effect := mp.effect(k, m.Tone, m.Channel, now.In(inv.loc).Hour())
	for range dup {
		effect *= mp.Repeat
	}
	if inv.annoyance > inv.tolerance {
		effect = 0 // an annoyed customer no longer reads: unsubscribed, or the mail went to spam
	}
	inv.persuasion += effect
	inv.messages = append(inv.messages, sentMessage{at: now, template: m.Template})

	if inv.uniform(streamCancel, uint64(len(inv.messages))) < w.p.Customer.cancelChance(inv.annoyance, inv.tolerance) {
		w.cancelByCustomer(inv, true)
		return
	}
	if !inv.leaver && !inv.willAct && !inv.acted && inv.w < inv.persuasion {
		inv.willAct, inv.won = true, m
		id := inv.id
		w.env.At(inv.awake(now.Add(inv.reply), &w.p), func() { w.act(id) })
		return
	}
	// A customer the message did not win may still open its link, the likelier the nearer it
	// brought them to acting: they look, and leave. An annoyed customer no longer reads.
	if m.CaseID != 0 && effect > 0 && !inv.acted && inv.w > 0 &&
		inv.uniform(streamClick, uint64(len(inv.messages))) < curiousClick*min(1, inv.persuasion/inv.w) {
		id := inv.id
		w.env.At(inv.awake(now.Add(inv.reply), &w.p), func() {
			if inv := w.live(id); inv != nil && !inv.acted {
				w.env.Clicked(m)
			}
		})
	}
}

// curiousClick is the share of the customers a message brought all the way to acting, but
// who did not act, that open its link: fewer the less it moved them.
const curiousClick = 0.5

// effect is the persuasion of the (k+1)-th message.
func (mp *MessageParams) effect(k int, tone, channel string, hour int) float64 {
	if k >= len(mp.Lift) {
		return 0
	}
	x := mp.Lift[k] * mp.tone(tone, k) * mp.channel(channel)
	switch {
	case inHours(hour, mp.BestFrom, mp.BestTo):
		x *= mp.Best
	case inHours(hour, mp.PoorFrom, mp.PoorTo):
		x *= mp.Poor
	}
	return x
}

// best is the most persuasion the (k+1)-th message can have: the best tone for its position,
// the best channel, the best hour, a template not sent before.
func (mp *MessageParams) best(k int) float64 {
	if k >= len(mp.Lift) {
		return 0
	}
	tone, channel := 1.0, 1.0
	for _, t := range mp.Tones {
		tone = max(tone, t.ByPosition[min(k, len(t.ByPosition)-1)])
	}
	for _, c := range mp.Channels {
		channel = max(channel, c.X)
	}
	return mp.Lift[k] * tone * channel * max(1, mp.Best, mp.Poor)
}

func (mp *MessageParams) tone(tone string, k int) float64 {
	for _, t := range mp.Tones {
		if t.Tone == tone {
			return t.ByPosition[min(k, len(t.ByPosition)-1)]
		}
	}
	return 1
}

func (mp *MessageParams) channel(name string) float64 {
	for _, c := range mp.Channels {
		if c.Name == name {
			return c.X
		}
	}
	return 1
}

// act is the customer fixing things, unprompted or won over by a message: paying on the hosted
// page (always, to authenticate), or making a new card the default.
func (w *Realistic) act(id string) {
	inv := w.live(id)
	if inv == nil || inv.acted {
		return
	}
	inv.acted = true
	if inv.willAct && inv.won.CaseID != 0 {
		w.env.Clicked(inv.won) // won over by recoup's message: they act through its link
	}
	if inv.cat == recoup.CategoryAuthentication {
		w.hostedPayment(inv, inv.cards[0], true) // the customer authenticates the same card
		return
	}
	c := &card{pm: "pm_" + inv.tag + "_2", brand: inv.newBrand, funding: inv.newFunding, country: inv.cards[0].country, replacement: true}
	inv.cards = append(inv.cards, c)
	if inv.hosted {
		w.hostedPayment(inv, c, inv.newCardGood)
		return
	}
	inv.def = len(inv.cards) - 1
	payload := fmt.Sprintf(`{"data":{"object":{"id":%q,"object":"customer","invoice_settings":{"default_payment_method":%q}},`+
		`"previous_attributes":{"invoice_settings":{"default_payment_method":%q}}}}`, inv.customer, c.pm, inv.cards[0].pm)
	w.emit("customer.updated", inv.customer, inv.customer, []string{"invoice_settings.default_payment_method"}, []byte(payload))
	w.stripeNewCard(inv)
}

// hostedPayment is the customer paying the invoice on Stripe's hosted page with card c.
func (w *Realistic) hostedPayment(inv *invoice, c *card, ok bool) {
	now := w.env.Now()
	inv.attempts++
	c.charges = append(c.charges, now)
	if !ok {
		d := inv.buildFixed(w.p.BadCard, c)
		c.declines = append(c.declines, now)
		inv.last = &recoup.Payment{PaymentIntentID: inv.piID(), PaymentMethodID: c.pm, Status: paymentStatus(d), Decline: &d, At: now}
		w.recordCharge(inv, c)
		w.emit("invoice.payment_failed", inv.id, inv.customer, nil, nil)
		return
	}
	inv.status, inv.paidAt = recoup.InvoicePaid, now
	inv.last = &recoup.Payment{PaymentIntentID: inv.piID(), PaymentMethodID: c.pm, Status: "succeeded", At: now}
	w.recordCharge(inv, c)
	w.resolve(inv, sim.Recovered, sim.ByCustomerPaid, false)
	w.emit("invoice.paid", inv.id, inv.customer, nil, nil)
}

// cancelByCustomer is the customer cancelling the subscription: a leaver on their own, or a
// customer annoyed by messages. The invoice is voided so that nothing can collect it later.
func (w *Realistic) cancelByCustomer(inv *invoice, byMessages bool) {
	inv.status = recoup.InvoiceVoid
	w.resolve(inv, sim.Lost, "", byMessages)
	w.emit("customer.subscription.deleted", inv.sub, inv.customer, nil, nil)
}

// leave is a leaver cancelling on their own at leaveAt (live does it).
func (w *Realistic) leave(id string) { w.live(id) }

// refresh is the card account updater refreshing the expired card in place (same id).
func (w *Realistic) refresh(id string) {
	if inv := w.live(id); inv != nil {
		w.emit("payment_method.automatically_updated", inv.cards[0].pm, inv.customer, nil, nil)
		w.stripeNewCard(inv)
	}
}
