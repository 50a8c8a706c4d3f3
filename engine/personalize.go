package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// LinkPlaceholder stands for the card update link in the words a language model rewrites:
// the model never sees the real link (it carries a token), and the Rewriter puts the link in
// after the guardrails have checked the text. personalize.Placeholder is the same string.
const LinkPlaceholder = "{{update_link}}"

// Rewriter is implemented by a Renderer whose messages a language model may rewrite
// (notify/templates). Like Render, both methods are pure.
type Rewriter interface {
	// Base writes the step's words for the model: a subject and a plain-text body without
	// greeting, sign-off or footer, with LinkPlaceholder once where the link goes, and no
	// ids or addresses.
	Base(d Draft) (subject, body string, err error)
	// Compose writes the whole message around a rewritten subject and body (which hold
	// LinkPlaceholder): the layout, the real links, the footer.
	Compose(d Draft, subject, body string) (Content, error)
}

// Personalizer rewrites a message's words for one customer, under guardrails, or keeps the
// template's and says why. It never fails: the message goes out either way. It is called
// outside any store transaction (it is a network call). personalize.ForEngine implements it.
type Personalizer interface {
	Personalize(ctx context.Context, now time.Time, d Draft, subject, body string) Personalization
}

// Personalization is a Personalizer's answer, recorded with the message for the audit.
type Personalization struct {
	Subject, Body string // with LinkPlaceholder; the model's when Generated, else the template's
	Generated     bool
	Fallback      string // why the template is sent ("" when generated): a kind, e.g. "timeout"
	Reason        string // the fallback in words
	Raw           string // the model's raw output ("" when no call answered)
	Model         string
}

// personalize asks the Personalizer for the words of a step that has no message yet, before
// the message is recorded: the model's answer is then recorded with the message, so a retried
// job sends what was recorded and never asks the model twice for one step. It returns nil
// when personalization is off, nothing would be sent (no channel, observe-only mode, the
// customer suppressed on the channel), the step already has a message, or the template cannot
// be written (recordMessage records that).
func (e *Engine) personalize(ctx context.Context, now time.Time, c recoup.Case, inv recoup.Invoice, cus recoup.Customer, step int, st policy.Step) (*Personalization, error) {
	rw, ok := e.renderer.(Rewriter)
	if e.personalizer == nil || !ok || e.notifier == nil || e.view(&c).Observing() {
		return nil, nil
	}
	msgs, err := e.store.Messages(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("message %d of case %d: %w", step, c.ID, err)
	}
	for _, m := range msgs {
		if m.Step == step {
			return nil, nil
		}
	}
	// A customer who will not get the message (unsubscribed, bounced) is not written for: the
	// model would be paid, and told about them, for nothing.
	var why string
	if err := e.store.Tx(ctx, func(tx recoup.Tx) (err error) {
		why, err = e.unreachable(tx, c, recoup.Message{Channel: st.Channel})
		return err
	}); err != nil {
		return nil, fmt.Errorf("message %d of case %d: %w", step, c.ID, err)
	}
	if why != "" {
		return nil, nil
	}
	d := e.draft(c, inv, cus, step, st, now)
	subject, body, err := rw.Base(d)
	if err != nil {
		return nil, nil
	}
	p := e.personalizer.Personalize(ctx, now, d, subject, body)
	return &p, nil
}

// applyPersonalization puts a Personalization into the rendered message m: the model's words
// when they were generated and compose, and the audit either way.
func (e *Engine) applyPersonalization(m *recoup.Message, d Draft, p *Personalization) {
	if p == nil {
		return
	}
	m.Fallback, m.FallbackReason, m.Generation, m.Model = p.Fallback, p.Reason, p.Raw, p.Model
	if !p.Generated {
		return
	}
	out, err := e.renderer.(Rewriter).Compose(d, p.Subject, p.Body)
	if err != nil {
		m.Fallback, m.FallbackReason = "compose", "the generated text could not be laid out: "+err.Error()
		return
	}
	m.Subject, m.Text, m.HTML, m.Generated = out.Subject, out.Text, out.HTML, true
}
