package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/updatelink"
)

// Renderer writes the words of a campaign message. It is a pure function of the draft (the
// templates, the branding and the link signing are the implementation's), called inside the
// transaction that records the message, so it must not do I/O. An EINVALID error (the template
// cannot be written for this case) records the step as failed and the campaign moves on; any
// other error fails the job, which is retried. notify/templates implements it.
type Renderer interface {
	Render(d Draft) (Content, error)
}

// Linker, implemented by a Renderer that puts links in messages (notify/templates), issues a
// draft's live card update and unsubscribe links. A message is stored with its links
// redacted (updatelink.Redact); a stored message sent again (a retry after a channel error)
// gets fresh links from it in place of the markers.
type Linker interface {
	LiveLinks(d Draft) (update, unsubscribe string, err error)
}

// relink restores the live links of a stored message about to be sent again. d names the case
// or notice and the time; without a Linker the message is sent as stored.
func (e *Engine) relink(m *recoup.Message, d Draft) error {
	l, ok := e.renderer.(Linker)
	if !ok || !(updatelink.Redacted(m.Subject) || updatelink.Redacted(m.Text) || updatelink.Redacted(m.HTML)) {
		return nil
	}
	update, unsub, err := l.LiveLinks(d)
	if err != nil {
		return fmt.Errorf("links of message %d of case %d: %w", m.Step, m.CaseID, err)
	}
	m.Subject = updatelink.Restore(m.Subject, update, unsub)
	m.Text = updatelink.Restore(m.Text, update, unsub)
	m.HTML = updatelink.Restore(m.HTML, update, unsub)
	return nil
}

// Customers reads a customer from Stripe. stripeapi.Client implements it.
type Customers interface {
	Customer(ctx context.Context, id string) (recoup.Customer, error)
}

// customer reads the case's customer for the renderer, outside any transaction. A customer
// Stripe no longer has is written to without a name; any other failure fails the job, which is
// retried (Stripe is then likely down for the invoice read too).
func (e *Engine) customer(ctx context.Context, c recoup.Case) (recoup.Customer, error) {
	if e.customers == nil || e.renderer == nil || c.CustomerID == "" {
		return recoup.Customer{}, nil
	}
	cus, err := e.customers.Customer(ctx, c.CustomerID)
	if recoup.IsNotFound(err) {
		return recoup.Customer{ID: c.CustomerID}, nil
	}
	if err != nil {
		return recoup.Customer{}, fmt.Errorf("read customer %s: %w", c.CustomerID, err)
	}
	return cus, nil
}

// Draft is what a Renderer gets to write one message.
type Draft struct {
	Case recoup.Case
	// Invoice is the invoice as Stripe showed it just before the message (its customer's name,
	// for a greeting); zero when not read.
	Invoice recoup.Invoice
	// Customer is the customer as Stripe showed it just before the message (name, preferred
	// locales); zero when no Customers source is configured.
	Customer recoup.Customer
	Step     int
	Channel  string
	Template string
	Tone     string
	// FinalAt is when the policy's final action (suspension, cancellation) is planned; zero
	// when no final action is planned yet.
	FinalAt time.Time
	Now     time.Time

	// NoticeID is set on the draft of a notice (a message outside any case): Case then holds
	// only the customer, subscription, address and amount, and the links name the notice.
	NoticeID int64
	// DueAt is the date a notice is about: the renewal, the invoice's due date.
	DueAt time.Time
}

// Content is a rendered message.
type Content struct {
	Subject string
	Text    string
	HTML    string // "" for channels without HTML
}

// render builds the message of a step, with the Renderer when one is configured, and with the
// model's words when a Personalization generated them.
func (e *Engine) render(c recoup.Case, inv recoup.Invoice, cus recoup.Customer, step int, st policy.Step, now time.Time, p *Personalization) (recoup.Message, error) {
	m := placeholder(c, step, st, now)
	if st.Channel == "sms" {
		m.To, m.Subject = cus.Phone, "" // a text has no subject; its words come from the renderer
	}
	if e.renderer == nil {
		return m, nil
	}
	d := e.draft(c, inv, cus, step, st, now)
	out, err := e.renderer.Render(d)
	if err != nil {
		return m, fmt.Errorf("render message %d (%s, %s) of case %d: %w", step, st.Template, st.Tone, c.ID, err)
	}
	m.Subject, m.Text, m.HTML = out.Subject, out.Text, out.HTML
	if st.Channel == "sms" {
		return m, nil // the text is the template's, short and with its link: never a model's
	}
	e.applyPersonalization(&m, d, p)
	return m, nil
}

// draft is what the Renderer gets for a step.
func (e *Engine) draft(c recoup.Case, inv recoup.Invoice, cus recoup.Customer, step int, st policy.Step, now time.Time) Draft {
	d := Draft{Case: c, Invoice: inv, Customer: cus, Step: step, Channel: st.Channel, Template: st.Template, Tone: st.Tone, Now: now}
	if a := c.NextAction; a != nil && a.Kind == recoup.ActionFinal {
		d.FinalAt = a.At
	}
	return d
}
