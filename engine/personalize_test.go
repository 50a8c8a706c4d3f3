package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// fakeRewriter writes "T <template>" as the template and lays out rewritten words as they are,
// with the placeholder replaced by a fixed link.
type fakeRewriter struct{}

func (fakeRewriter) Render(d engine.Draft) (engine.Content, error) {
	return engine.Content{Subject: "S " + d.Template, Text: "T " + d.Template + " https://pay/u/x"}, nil
}

func (fakeRewriter) Base(d engine.Draft) (string, string, error) {
	return "S " + d.Template, "T " + d.Template + " " + engine.LinkPlaceholder, nil
}

func (fakeRewriter) Compose(_ engine.Draft, subject, body string) (engine.Content, error) {
	return engine.Content{Subject: subject, Text: strings.ReplaceAll(body, engine.LinkPlaceholder, "https://pay/u/x")}, nil
}

// fakePersonalizer answers from a list in turn and counts its calls.
type fakePersonalizer struct {
	answers []engine.Personalization
	calls   int
	bases   []string
}

func (p *fakePersonalizer) Personalize(_ context.Context, _ time.Time, _ engine.Draft, subject, body string) engine.Personalization {
	p.calls++
	p.bases = append(p.bases, body)
	a := p.answers[0]
	p.answers = p.answers[1:]
	if !a.Generated {
		a.Subject, a.Body = subject, body
	}
	return a
}

func TestPersonalizedMessagesAreRecordedAndNeverGeneratedTwice(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	p := &fakePersonalizer{answers: []engine.Personalization{
		{Generated: true, Subject: "Ada, one quick thing", Body: "Hi Ada, add a card: " + engine.LinkPlaceholder, Raw: `{"subject":"Ada, one quick thing"}`, Model: "m1"},
		{Fallback: "promise", Reason: "the guardrails rejected the model's text: promise", Raw: `{"body":"20% off"}`, Model: "m1"},
	}}
	temporary := true
	notes := notifierFunc(func(m recoup.Message) error {
		if temporary {
			temporary = false
			return recoup.Errorf(recoup.EUNAVAILABLE, "smtp: 451 try later")
		}
		return h.notes.Send(context.Background(), m)
	})
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: notes, Policy: h.eng.Policy(),
		Renderer: fakeRewriter{}, Personalizer: p})
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.gw.withEmail("in_1", "ada@example.com")
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	j, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobProcessEvent })
	if err := h.run(j); err != nil {
		t.Fatal(err)
	}
	j, _ = h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobMessage })
	if err := h.run(j); err == nil {
		t.Fatal("a temporary channel error must fail the job")
	}
	if err := h.run(j); err != nil { // the retry sends what was recorded
		t.Fatal(err)
	}
	if p.calls != 1 {
		t.Fatalf("the model was asked %d times for one step, want once", p.calls)
	}
	if p.bases[0] != "T fix_card "+engine.LinkPlaceholder {
		t.Errorf("base sent to the model %q", p.bases[0])
	}
	c := h.caseOf("in_1")
	ms := h.messages(c)
	if len(h.notes.sent) != 1 || h.notes.sent[0].Text != "Hi Ada, add a card: https://pay/u/x" || h.notes.sent[0].Subject != "Ada, one quick thing" {
		t.Fatalf("sent %+v, want the generated text with the link", h.notes.sent)
	}
	if m := ms[0]; !m.Generated || m.Fallback != "" || m.Generation != `{"subject":"Ada, one quick thing"}` || m.Model != "m1" || m.Status != recoup.MessageSent {
		t.Errorf("recorded %+v, want generated with its raw output", m)
	}

	// The next step's output is rejected: the template goes out and the fallback is recorded.
	h.advance(4 * 24 * time.Hour)
	if len(h.notes.sent) != 2 || h.notes.sent[1].Text != "T reminder https://pay/u/x" {
		t.Fatalf("sent %+v, want the template of step 1", h.notes.sent)
	}
	m := h.messages(c)[1]
	if m.Generated || m.Fallback != "promise" || !strings.Contains(m.FallbackReason, "guardrails") || m.Generation != `{"body":"20% off"}` {
		t.Errorf("recorded %+v, want the fallback and the rejected output", m)
	}
	if tl := dump(h.timeline(c)); !strings.Contains(tl, "message 1 (reminder) written from the template: the guardrails rejected") {
		t.Errorf("timeline lacks the fallback:\n%s", tl)
	}
	if p.calls != 2 {
		t.Errorf("model calls %d, want 2", p.calls)
	}
}

// A Renderer that cannot give the words for a model (no Rewriter) is sent as it is.
func TestNoPersonalizationWithoutARewriter(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	p := &fakePersonalizer{}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(),
		Renderer: rendererFunc(func(d engine.Draft) (engine.Content, error) { return engine.Content{Subject: "S", Text: "T"}, nil }), Personalizer: p})
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	if p.calls != 0 || len(h.notes.sent) != 1 {
		t.Errorf("calls %d, sent %d: a Renderer that cannot rewrite is sent as it is", p.calls, len(h.notes.sent))
	}
}

// A customer suppressed on the step's channel is not written for: no model call.
func TestNoPersonalizationForASuppressedCustomer(t *testing.T) {
	h := newHarness(t, campaignPolicy)
	p := &fakePersonalizer{}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: h.gw, Notifier: h.notes, Policy: h.eng.Policy(),
		Renderer: fakeRewriter{}, Personalizer: p})
	if err := h.store.Tx(h.ctx, func(tx recoup.Tx) error {
		return tx.InsertSuppression(&recoup.Suppression{CustomerID: "cus_1", Channel: "email", Reason: recoup.SuppressUnsubscribe, CreatedAt: h.now})
	}); err != nil {
		t.Fatal(err)
	}
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	if p.calls != 0 || len(h.notes.sent) != 0 {
		t.Errorf("model calls %d, sent %d; want none", p.calls, len(h.notes.sent))
	}
}
