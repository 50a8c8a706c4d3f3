// Package templates writes recoup's customer messages: a subject, a plain-text body and an HTML
// body for every campaign template name, tone and recovery category, in the customer's language
// when it is available, with the merchant's branding.
//
// The English templates are embedded (locales/en). A directory given to Load overrides them
// file by file and define by define, with the same layout:
//
//	<dir>/<locale>/messages.tmpl  the words: subjects, bodies, category phrases (text/template)
//	<dir>/<locale>/email.txt      the plain-text layout (text/template)
//	<dir>/<locale>/email.html     the HTML layout (html/template, so everything is escaped)
//
// A locale is built from English, then the embedded files of the locale, then the override
// directory's, so a translation may leave defines out and they stay in English. A customer's
// locale "fr-CA" uses fr-ca, else fr, else en.
package templates

import (
	"bytes"
	"embed"
	"errors"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/recoup-hq/recoup"
)

//go:embed locales
var embedded embed.FS

// Default is the language every locale falls back to.
const Default = "en"

// Names are the template names the default campaigns use; any other name renders with the
// "default" words of its tone.
var Names = []string{"payment_failed", "update_card", "suspension_notice", "final_notice"}

// Notices are the template names of messages outside the campaign: the confirmation of a
// recovered payment, the notice of a card expiring before a renewal, and the reminders of an
// invoice sent to be paid by the customer.
var Notices = []string{"payment_received", "card_expiring", "invoice_due"}

// Tones are the tones the shipped words distinguish.
var Tones = []string{"neutral", "gentle", "helpful", "urgent", "final"}

// Set is a parsed set of templates for every available locale. It is safe for concurrent use.
type Set struct {
	brand   Branding
	locales map[string]*locale
}

type locale struct {
	name string
	msgs *texttemplate.Template
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Load parses the embedded templates, overridden by those under dir when dir is not "".
func Load(dir string, brand Branding) (*Set, error) {
	var over fs.FS
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, recoup.Errorf(recoup.EINVALID, "templates: %q is not a directory", dir)
		}
		over = os.DirFS(dir)
	}
	return LoadFS(over, brand)
}

// LoadFS is Load with the overrides in an fs.FS (nil for none).
func LoadFS(over fs.FS, brand Branding) (*Set, error) {
	if err := brand.Validate(); err != nil {
		return nil, err
	}
	base, err := fs.Sub(embedded, "locales")
	if err != nil {
		return nil, err
	}
	names := localeNames(base)
	if over != nil {
		names = append(names, localeNames(over)...)
	}
	slices.Sort(names)
	s := &Set{brand: brand, locales: map[string]*locale{}}
	for _, name := range slices.Compact(names) {
		l, err := parseLocale(name, base, over)
		if err != nil {
			return nil, err
		}
		s.locales[name] = l
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

func localeNames(fsys fs.FS) []string {
	entries, _ := fs.ReadDir(fsys, ".")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, strings.ToLower(e.Name()))
		}
	}
	return out
}

// parseLocale builds a locale from the layers, least specific first.
func parseLocale(name string, base, over fs.FS) (*locale, error) {
	layers := []struct {
		fsys fs.FS
		dir  string
	}{{base, Default}, {over, Default}}
	if name != Default {
		layers = append(layers, struct {
			fsys fs.FS
			dir  string
		}{base, name}, struct {
			fsys fs.FS
			dir  string
		}{over, name})
	}
	l := &locale{name: name, msgs: texttemplate.New("messages").Option("missingkey=error")}
	var textLayout, htmlLayout string
	for i, layer := range layers {
		if layer.fsys == nil {
			continue
		}
		read := func(file string) (string, bool, error) {
			b, err := fs.ReadFile(layer.fsys, path.Join(layer.dir, file))
			if errors.Is(err, fs.ErrNotExist) {
				return "", false, nil
			}
			return string(b), err == nil, err
		}
		src, ok, err := read("messages.tmpl")
		if err != nil {
			return nil, recoup.Errorf(recoup.EINVALID, "templates: %s: %w", layer.dir, err)
		}
		if ok {
			// Each layer's file gets its own root name; its defines replace earlier ones.
			if _, err := l.msgs.New(layer.dir + "/messages.tmpl#" + string(rune('0'+i))).Parse(src); err != nil {
				return nil, recoup.Errorf(recoup.EINVALID, "templates: %s/messages.tmpl: %w", layer.dir, err)
			}
		}
		if src, ok, err := read("email.txt"); err != nil {
			return nil, recoup.Errorf(recoup.EINVALID, "templates: %s: %w", layer.dir, err)
		} else if ok {
			textLayout = src
		}
		if src, ok, err := read("email.html"); err != nil {
			return nil, recoup.Errorf(recoup.EINVALID, "templates: %s: %w", layer.dir, err)
		} else if ok {
			htmlLayout = src
		}
	}
	var err error
	if l.text, err = texttemplate.New("email.txt").Option("missingkey=error").Parse(textLayout); err != nil {
		return nil, recoup.Errorf(recoup.EINVALID, "templates: %s/email.txt: %w", name, err)
	}
	if l.html, err = htmltemplate.New("email.html").Option("missingkey=error").Parse(htmlLayout); err != nil {
		return nil, recoup.Errorf(recoup.EINVALID, "templates: %s/email.html: %w", name, err)
	}
	return l, nil
}

// Locales lists the available locales.
func (s *Set) Locales() []string {
	var out []string
	for name := range s.locales {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// pick returns the locale for a customer's locale tag.
func (s *Set) pick(tag string) *locale {
	tag = strings.ToLower(strings.ReplaceAll(tag, "_", "-"))
	if l, ok := s.locales[tag]; ok {
		return l
	}
	if lang, _, ok := strings.Cut(tag, "-"); ok {
		if l, ok := s.locales[lang]; ok {
			return l
		}
	}
	return s.locales[Default]
}

// Content is a rendered message.
type Content struct {
	Subject string
	Text    string
	HTML    string
}

// layout is what the email layouts see.
type layout struct {
	Lang, Subject, Greeting     string
	Paragraphs                  []string
	CTA, UpdateURL              string
	Signoff                     string
	SignoffLines                []string
	Support, Footer             string
	Unsubscribe, UnsubscribeURL string
	Brand                       Branding
}

// Render writes the message for in.
func (s *Set) Render(in Input) (Content, error) {
	l, lay, err := s.words(in)
	if err != nil {
		return Content{}, err
	}
	return l.execute(lay)
}

// words writes everything around the layouts for in: subject, paragraphs, greeting, button,
// sign-off and footer.
func (s *Set) words(in Input) (*locale, layout, error) {
	l := s.pick(in.Locale)
	d := Data{
		FirstName: in.FirstName, Amount: FormatMoney(in.Amount), InvoiceID: in.InvoiceID, CategoryCode: in.Category,
		Step: in.Step, Tone: in.Tone, UpdateURL: in.UpdateURL, UnsubscribeURL: in.UnsubscribeURL, Brand: s.brand,
		Authenticate:  in.Category == recoup.CategoryAuthentication,
		NeedsCustomer: in.Category == recoup.CategoryCustomerFix || in.Category == recoup.CategoryHard || in.Category == recoup.CategoryAuthentication,
	}
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	if !in.FinalAt.IsZero() {
		d.FinalDate = in.FinalAt.In(loc).Format("Monday, January 2, 2006")
	}
	if !in.DueAt.IsZero() {
		d.DueDate, d.DueInDays = in.DueAt.In(loc).Format("Monday, January 2, 2006"), in.DueInDays
	}
	var err error
	cat := string(in.Category)
	if l.msgs.Lookup("category/"+cat) == nil {
		cat = string(recoup.CategoryUnknown)
	}
	if d.Category, err = l.exec("category/"+cat, d); err != nil {
		return nil, layout{}, err
	}
	subject, err := l.first(d, "subject", in.Template, in.Tone)
	if err != nil {
		return nil, layout{}, err
	}
	body, err := l.first(d, "body", in.Template, in.Tone)
	if err != nil {
		return nil, layout{}, err
	}
	lay := layout{Lang: l.name, Subject: oneLine(subject), Paragraphs: paragraphs(body), UpdateURL: in.UpdateURL,
		UnsubscribeURL: in.UnsubscribeURL, Brand: s.brand}
	for name, dst := range map[string]*string{"greeting": &lay.Greeting, "cta": &lay.CTA, "signoff": &lay.Signoff,
		"support": &lay.Support, "footer": &lay.Footer, "unsubscribe": &lay.Unsubscribe} {
		if l.msgs.Lookup(name+"/"+in.Template) != nil {
			name += "/" + in.Template // a template's own button or footer ("cta/payment_received")
		}
		if *dst, err = l.exec(name, d); err != nil {
			return nil, layout{}, err
		}
		*dst = strings.TrimSpace(*dst)
	}
	lay.SignoffLines = strings.Split(lay.Signoff, "\n")
	return l, lay, nil
}

// execute runs the locale's layouts.
func (l *locale) execute(lay layout) (Content, error) {
	var text, html bytes.Buffer
	if err := l.text.Execute(&text, lay); err != nil {
		return Content{}, recoup.Errorf(recoup.EINVALID, "templates: %s/email.txt: %w", l.name, err)
	}
	if err := l.html.Execute(&html, lay); err != nil {
		return Content{}, recoup.Errorf(recoup.EINVALID, "templates: %s/email.html: %w", l.name, err)
	}
	return Content{Subject: lay.Subject, Text: text.String(), HTML: html.String()}, nil
}

// first executes the most specific of kind/name/tone, kind/name, kind/default/tone and
// kind/default.
func (l *locale) first(d Data, kind, name, tone string) (string, error) {
	for _, n := range []string{kind + "/" + name + "/" + tone, kind + "/" + name, kind + "/default/" + tone, kind + "/default"} {
		if l.msgs.Lookup(n) != nil {
			return l.exec(n, d)
		}
	}
	return "", recoup.Errorf(recoup.EINVALID, "templates: %s: no %s for template %q", l.name, kind, name)
}

func (l *locale) exec(name string, d Data) (string, error) {
	var b bytes.Buffer
	if err := l.msgs.ExecuteTemplate(&b, name, d); err != nil {
		return "", recoup.Errorf(recoup.EINVALID, "templates: %s: %w", l.name, err)
	}
	return b.String(), nil
}

// paragraphs splits a body at blank lines, trimming each paragraph and dropping empty ones.
func paragraphs(body string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// oneLine keeps a subject on one line whatever the template's whitespace.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// check renders every shipped template name (and an unknown one), tone and category in every
// locale, so a broken override fails at start-up rather than at a customer's message.
func (s *Set) check() error {
	cats := append([]recoup.Category{recoup.CategoryUnknown}, recoup.Categories...)
	for _, loc := range s.Locales() {
		for _, name := range append(append(slices.Clone(Names), Notices...), "a_custom_template") {
			for _, tone := range Tones {
				for _, cat := range cats {
					in := Input{Template: name, Tone: tone, Locale: loc, Category: cat, Amount: recoup.Money{Amount: 100, Currency: "usd"},
						InvoiceID: "in_check", UpdateURL: "https://example.com/u/x", UnsubscribeURL: "https://example.com/unsubscribe/x",
						DueAt: time.Unix(1e9, 0), DueInDays: 3}
					if _, err := s.Render(in); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
