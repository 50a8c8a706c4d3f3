package templates

import (
	"strings"
	"unicode/utf8"

	"github.com/recoup-hq/recoup/engine"
)

// Personalization support: the words a language model rewrites, and the message laid out
// around its rewrite. The model sees the body without greeting, sign-off and footer, without
// the invoice number (ids stay out of what it is sent), and with engine.LinkPlaceholder where
// the link goes; its text is validated by package personalize before Compose lays it out.

var _ engine.Rewriter = (*Campaign)(nil)

// Words returns the subject, the body's paragraphs and the button's label of in's message.
func (s *Set) Words(in Input) (subject string, paragraphs []string, cta string, err error) {
	_, lay, err := s.words(in)
	if err != nil {
		return "", nil, "", err
	}
	return lay.Subject, lay.Paragraphs, lay.CTA, nil
}

// RenderWith writes in's message with the given subject and paragraphs in place of the
// template's words, and no greeting (rewritten words bring their own). The layouts, the button,
// the sign-off and the footer are the template's.
func (s *Set) RenderWith(in Input, subject string, paragraphs []string) (Content, error) {
	l, lay, err := s.words(in)
	if err != nil {
		return Content{}, err
	}
	lay.Subject, lay.Paragraphs, lay.Greeting = oneLine(subject), paragraphs, ""
	return l.execute(lay)
}

// Base writes the words of the draft's message for a language model: the body's paragraphs
// and a last line with the button's label and the link placeholder, so the model knows where
// the link goes.
func (c *Campaign) Base(d engine.Draft) (subject, body string, err error) {
	in := c.input(d)
	in.InvoiceID, in.UpdateURL = "", engine.LinkPlaceholder
	subject, paras, cta, err := c.Set.Words(in)
	if err != nil {
		return "", "", err
	}
	return subject, strings.Join(append(paras, cta+": "+engine.LinkPlaceholder), "\n\n"), nil
}

// linkLineMax is the longest paragraph, without the link, that is taken for a mere label of
// the link ("Update your card: {{update_link}}"): the layout's button replaces it.
const linkLineMax = 60

// Compose lays out a rewritten subject and body. A paragraph that is only the link, or a short
// label and the link, is left out: the layout's button (email) or link line (text) carries the
// link. A link inside a sentence stays there, as the real link.
func (c *Campaign) Compose(d engine.Draft, subject, body string) (engine.Content, error) {
	update, unsub, err := c.LiveLinks(d)
	if err != nil {
		return engine.Content{}, err
	}
	var paras []string
	for _, p := range paragraphs(body) {
		if strings.Contains(p, engine.LinkPlaceholder) {
			rest := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(strings.ReplaceAll(p, engine.LinkPlaceholder, "")), ":→-–—"))
			if !strings.Contains(rest, "\n") && utf8.RuneCountInString(rest) <= linkLineMax && !strings.ContainsAny(rest, ".!?") {
				continue
			}
			p = strings.ReplaceAll(p, engine.LinkPlaceholder, update)
		}
		paras = append(paras, p)
	}
	in := c.input(d)
	in.UpdateURL, in.UnsubscribeURL = update, unsub
	out, err := c.Set.RenderWith(in, subject, paras)
	if err != nil {
		return engine.Content{}, err
	}
	if d.Channel != "email" {
		out.HTML = ""
	}
	return engine.Content{Subject: out.Subject, Text: out.Text, HTML: out.HTML}, nil
}
