package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// renewalGateway is the harness's gateway with the customers' renewals.
type renewalGateway struct {
	*fakeGateway
	renewals map[string][]recoup.Renewal
}

func (g *renewalGateway) Renewals(_ context.Context, customerID string) ([]recoup.Renewal, error) {
	return g.renewals[customerID], nil
}

// noticeHarness runs notices on email with a renderer that says what it was given.
func noticeHarness(t *testing.T, cfg engine.NoticeConfig, renewals map[string][]recoup.Renewal) (*harness, *[]engine.Draft) {
	h := newHarness(t, campaignPolicy)
	var drafts []engine.Draft
	gw := &renewalGateway{fakeGateway: h.gw, renewals: renewals}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: gw, Notifier: h.notes, Policy: h.eng.Policy(), Notices: cfg,
		Customers: customersFunc(func(id string) (recoup.Customer, error) {
			return recoup.Customer{ID: id, Name: "Ada Lovelace", Email: "ada@example.com"}, nil
		}),
		Renderer: rendererFunc(func(d engine.Draft) (engine.Content, error) {
			drafts = append(drafts, d)
			return engine.Content{Subject: d.Template, Text: fmt.Sprintf("notice %d due %s", d.NoticeID, d.DueAt.Format(time.DateOnly))}, nil
		})})
	return h, &drafts
}

func TestCardExpiringNoticeOncePerCardAndRenewal(t *testing.T) {
	now := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	march := recoup.CardExpiry(3, 2026) // valid through March: sub_soon renews in April, sub_fine in March
	renewals := map[string][]recoup.Renewal{"cus_1": {
		{CustomerID: "cus_1", SubscriptionID: "sub_soon", RenewsAt: now.AddDate(0, 0, 35), PaymentMethodID: "pm_old", CardExpiresAt: march},
		{CustomerID: "cus_1", SubscriptionID: "sub_fine", RenewsAt: now.AddDate(0, 0, 10), PaymentMethodID: "pm_old", CardExpiresAt: march},
		{CustomerID: "cus_1", SubscriptionID: "sub_far", RenewsAt: now.AddDate(0, 6, 0), PaymentMethodID: "pm_old", CardExpiresAt: march},
		{CustomerID: "cus_1", SubscriptionID: "sub_new", RenewsAt: now.AddDate(0, 0, 25), PaymentMethodID: "pm_new", CardExpiresAt: recoup.CardExpiry(9, 2029)},
		{CustomerID: "cus_1", SubscriptionID: "sub_bank", RenewsAt: now.AddDate(0, 0, 25), PaymentMethodID: "ba_1"}, // not a card
	}}
	h, drafts := noticeHarness(t, engine.NoticeConfig{Channel: "email", CardExpiring: true}, renewals)
	h.notes.errs = []error{recoup.Errorf(recoup.EUNAVAILABLE, "smtp: 451 try later")} // the first send fails for now
	h.ingest("evt_1", "customer.source.expiring", "card_1", "cus_1")
	j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := h.run(j); err == nil {
		t.Fatal("a temporary channel error must fail the event's job, to retry it")
	}
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	// A later check (the renewal is near) finds the same card and renewal: nothing new.
	h.ingest("evt_2", "invoice.upcoming", "", "cus_1")
	h.runDue()
	if len(h.notes.sent) != 1 {
		t.Fatalf("sent %d notices, want 1 (sub_soon's): %+v", len(h.notes.sent), h.notes.sent)
	}
	m := h.notes.sent[0]
	if m.NoticeID == 0 || m.CaseID != 0 || m.Template != recoup.NoticeCardExpiring || m.To != "ada@example.com" || m.Channel != "email" {
		t.Errorf("sent %+v", m)
	}
	if len(*drafts) != 1 || (*drafts)[0].NoticeID != m.NoticeID || !(*drafts)[0].DueAt.Equal(now.AddDate(0, 0, 35)) {
		t.Errorf("drafts %+v: written once, with the notice and the renewal date", *drafts)
	}
	var n recoup.Notice
	if err := h.store.Tx(h.ctx, func(tx recoup.Tx) (err error) { n, err = tx.Notice(m.NoticeID); return err }); err != nil {
		t.Fatal(err)
	}
	if n.Status != recoup.MessageSent || n.SubscriptionID != "sub_soon" || n.PaymentMethodID != "pm_old" || n.Key != "cus_1/pm_old/2026-04-06" {
		t.Errorf("recorded %+v", n)
	}
}

func TestCardExpiringNoticeIsOffByDefaultAndRespectsSuppression(t *testing.T) {
	now := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	renewals := map[string][]recoup.Renewal{"cus_1": {{CustomerID: "cus_1", SubscriptionID: "sub_1", RenewsAt: now.AddDate(0, 0, 35),
		PaymentMethodID: "pm_old", CardExpiresAt: recoup.CardExpiry(3, 2026)}}}

	off, _ := noticeHarness(t, engine.NoticeConfig{Channel: "email"}, renewals)
	off.ingest("evt_1", "customer.source.expiring", "card_1", "cus_1")
	off.runDue()
	if len(off.notes.sent) != 0 {
		t.Errorf("pre-dunning off, sent %+v", off.notes.sent)
	}

	h, _ := noticeHarness(t, engine.NoticeConfig{Channel: "email", CardExpiring: true}, renewals)
	if err := h.store.Tx(h.ctx, func(tx recoup.Tx) error {
		return tx.InsertSuppression(&recoup.Suppression{CustomerID: "cus_1", Channel: "email", Reason: recoup.SuppressUnsubscribe, CreatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	h.ingest("evt_1", "customer.source.expiring", "card_1", "cus_1")
	h.runDue()
	if len(h.notes.sent) != 0 {
		t.Errorf("an unsubscribed customer got %+v", h.notes.sent)
	}
	var n recoup.Notice
	if err := h.store.Tx(h.ctx, func(tx recoup.Tx) (err error) {
		n, err = tx.NoticeByKey(recoup.NoticeCardExpiring, "cus_1/pm_old/2026-04-06")
		return err
	}); err != nil || n.Status != recoup.MessageSkipped {
		t.Errorf("notice %+v %v, want recorded as skipped", n, err)
	}
}
