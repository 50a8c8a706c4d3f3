package templates

import (
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/updatelink"
)

// Profile is what is known of a customer beyond the case.
type Profile struct {
	FirstName string // "" when unknown
	Locale    string // "" for the default language
}

// Campaign is the engine's Renderer: it writes each campaign message with the Set, signing a
// fresh card update link and unsubscribe link for the message's case.
type Campaign struct {
	Set   *Set
	Links *updatelink.Links
	// Location is the time zone of dates in messages; nil is UTC.
	Location *time.Location
	// Profile, optional, tells the customer's first name and locale. It is called inside the
	// transaction that records the message, so it must answer from memory, not over the
	// network. Without it, the first name is the first word of the customer's name (else of
	// the invoice's customer name) and the locale is the customer's first preferred locale.
	Profile func(d engine.Draft) Profile
}

// firstName is the first word of a full name, "" for none. It is a guess that suits most
// names written given-name first; a Profile can do better.
func firstName(full string) string {
	f := strings.Fields(full)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

var (
	_ engine.Renderer = (*Campaign)(nil)
	_ engine.Linker   = (*Campaign)(nil)
)

// Render writes the message of the draft.
func (c *Campaign) Render(d engine.Draft) (engine.Content, error) {
	update, unsub, err := c.LiveLinks(d)
	if err != nil {
		return engine.Content{}, err
	}
	if d.Channel == "sms" {
		return c.smsText(d, update), nil
	}
	in := c.input(d)
	in.UpdateURL, in.UnsubscribeURL = update, unsub
	out, err := c.Set.Render(in)
	if err != nil {
		return engine.Content{}, err
	}
	if d.Channel != "email" {
		out.HTML = "" // only email shows HTML; the webhook carries the text
	}
	return engine.Content{Subject: out.Subject, Text: out.Text, HTML: out.HTML}, nil
}

// LiveLinks signs the draft's card update (or invoice) link and unsubscribe link: a case's, or
// a notice's for a message outside any case. The engine uses it to put live links back in a
// stored (redacted) message it sends again.
func (c *Campaign) LiveLinks(d engine.Draft) (update, unsub string, err error) {
	if d.NoticeID != 0 {
		if update, err = c.Links.NoticeUpdateURL(d.NoticeID, d.Now); err == nil {
			unsub, err = c.Links.NoticeUnsubscribeURL(d.NoticeID, d.Now)
		}
		return update, unsub, err
	}
	if update, err = c.Links.UpdateURL(d.Case.ID, d.Now); err == nil {
		unsub, err = c.Links.UnsubscribeURL(d.Case.ID, d.Now)
	}
	return update, unsub, err
}

// input is the Input of a draft, without its links.
func (c *Campaign) input(d engine.Draft) Input {
	p := Profile{FirstName: firstName(d.Customer.Name)}
	if p.FirstName == "" {
		p.FirstName = firstName(d.Invoice.CustomerName)
	}
	if len(d.Customer.Locales) > 0 {
		p.Locale = d.Customer.Locales[0]
	}
	if c.Profile != nil {
		p = c.Profile(d)
	}
	cat := d.Case.Category
	if d.Case.LastDecline != nil && d.Case.LastDecline.Code == "authentication_required" {
		cat = recoup.CategoryAuthentication
	}
	return Input{
		Template: d.Template, Tone: d.Tone, Locale: p.Locale, Category: cat, FirstName: p.FirstName,
		Amount: d.Case.Amount, InvoiceID: d.Case.InvoiceID, Step: d.Step, FinalAt: d.FinalAt, Location: c.Location,
		DueAt: d.DueAt, DueInDays: daysUntil(d.Now, d.DueAt, c.Location),
	}
}

// daysUntil counts the calendar days from now to t in loc (nil: UTC): 0 on the same day,
// negative when t has passed.
func daysUntil(now, t time.Time, loc *time.Location) int {
	if t.IsZero() {
		return 0
	}
	if loc == nil {
		loc = time.UTC
	}
	day := func(x time.Time) time.Time {
		y, m, d := x.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return int(day(t).Sub(day(now)).Hours() / 24)
}
