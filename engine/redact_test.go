package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// linkRenderer writes a message with a card update link and an unsubscribe link, signing new
// ones (a counter stands for the random nonce) each time, as notify/templates does.
type linkRenderer struct{ issued int }

func (r *linkRenderer) LiveLinks(d engine.Draft) (string, string, error) {
	r.issued++
	return fmt.Sprintf("https://pay.example.com/u/UPDATE%dTOKENFORCASE%d", r.issued, d.Case.ID),
		fmt.Sprintf("https://pay.example.com/unsubscribe/UNSUB%dTOKENFORCASE%d", r.issued, d.Case.ID), nil
}

func (r *linkRenderer) Render(d engine.Draft) (engine.Content, error) {
	up, un, _ := r.LiveLinks(d)
	return engine.Content{Subject: "Your card", Text: "Update: " + up + "\nStop: " + un, HTML: `<a href="` + up + `">Update</a>`}, nil
}

// A message is stored with its links redacted, so nobody who reads it (a dashboard viewer, the
// API) can open the customer's portal or unsubscribe them. The customer still gets live links,
// on the first send and on a retry after a channel error, which sends the stored message.
func TestMessagesAreStoredRedactedAndSentLive(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(), Renderer: &linkRenderer{}})
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.gw.withEmail("in_1", "ada@example.com")
	h.notes.errs = []error{recoup.Errorf(recoup.EUNAVAILABLE, "smtp: 421 try later")}
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	j, _ = h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobMessage })
	if err := h.run(j); err == nil {
		t.Fatal("the temporary channel error did not fail the job")
	}
	c := h.caseOf("in_1")
	stored := h.messages(c)
	if len(stored) != 1 || strings.Contains(stored[0].Text+stored[0].HTML, "TOKEN") ||
		stored[0].Text != "Update: [card update link]\nStop: [unsubscribe link]" {
		t.Fatalf("stored %+v", stored)
	}
	if err := h.eng.Message(h.ctx, h.now, c.ID, 0); err != nil { // River's retry
		t.Fatal(err)
	}
	if len(h.notes.sent) != 1 {
		t.Fatalf("sent %d messages", len(h.notes.sent))
	}
	sent := h.notes.sent[0]
	if !strings.Contains(sent.Text, "https://pay.example.com/u/UPDATE") || !strings.Contains(sent.Text, "https://pay.example.com/unsubscribe/UNSUB") ||
		!strings.Contains(sent.HTML, `href="https://pay.example.com/u/UPDATE`) || strings.Contains(sent.Text+sent.HTML, "[") {
		t.Errorf("the retry sent %q / %q, want live links", sent.Text, sent.HTML)
	}
	if got := h.messages(c)[0]; got.Status != recoup.MessageSent || strings.Contains(got.Text+got.HTML, "TOKEN") {
		t.Errorf("after the send the store holds %+v", got)
	}
}

// An event of a type recoup does not handle is stored without its payload: it is of no use,
// and it is personal data (docs/privacy.md).
func TestIgnoredEventIsStoredWithoutPayload(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	ev := &recoup.Event{ID: "evt_unhandled", Type: "customer.tax_id.created", ObjectID: "cus_1", CustomerID: "cus_1", Created: h.now,
		Origin: recoup.OriginWebhook, Payload: []byte(`{"id":"evt_unhandled","data":{"object":{"value":"DE123456789"}}}`)}
	if _, err := h.eng.Ingest(h.ctx, h.now, ev); err != nil {
		t.Fatal(err)
	}
	got, err := h.store.Event(h.ctx, "evt_unhandled")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != recoup.EventIgnored || len(got.Payload) != 0 {
		t.Errorf("stored %s with payload %q", got.Status, got.Payload)
	}
}
