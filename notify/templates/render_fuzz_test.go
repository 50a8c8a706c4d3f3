package templates

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

// FuzzRender writes messages from any customer data Stripe could hand over (a name, an invoice
// number, an amount, a currency, a locale) with every template and tone. It must not panic; a
// message it writes keeps hostile data as text in the HTML, has a one-line subject, carries
// the live card update link, and is stored with that link redacted. Seeds: the f.Add cases and
// testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	s, err := Load("", brand)
	if err != nil {
		f.Fatal(err)
	}
	signer, err := updatelink.NewSigner([]byte("fuzz-link-secret-0123456789abcdef"))
	if err != nil {
		f.Fatal(err)
	}
	links, err := updatelink.NewLinks("https://pay.acme.example", signer, 0, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Ada", "in_1NxYz", int64(2500), "usd", "en", "default", "helpful", "customer_fix", uint8(0))
	f.Add("<script>alert(1)</script>", "in_<b>", int64(-1), "jpy", "fr-CA", "final", "final", "authentication", uint8(3))
	f.Add("Zoë\r\nBcc: x@y", "", int64(1<<62), "", "zz", "nonexistent", "", "", uint8(9))
	f.Add("", "in_1", int64(0), "kwd", "de", "reminder", "urgent", "funds", uint8(255))
	f.Fuzz(func(t *testing.T, name, invoice string, amount int64, currency, locale, template, tone, category string, step uint8) {
		at := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
		update, err := links.UpdateURL(7, at)
		if err != nil {
			t.Fatal(err)
		}
		unsub, _ := links.UnsubscribeURL(7, at)
		in := Input{Template: template, Tone: tone, Locale: locale, Category: recoup.Category(category), FirstName: name,
			Amount: recoup.Money{Amount: amount, Currency: currency}, InvoiceID: invoice, Step: int(step),
			UpdateURL: update, UnsubscribeURL: unsub, FinalAt: at.Add(72 * time.Hour)}
		c, err := s.Render(in)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		if strings.ContainsAny(c.Subject, "\r\n") {
			t.Fatalf("subject %q spans lines", c.Subject)
		}
		// The same message for a customer with no name and no invoice number: what is in its
		// HTML already (a lone "<" of a tag) says nothing about escaping.
		bare := in
		bare.FirstName, bare.InvoiceID = "", ""
		base, _ := s.Render(bare)
		for _, hostile := range []string{name, invoice} {
			if strings.ContainsAny(hostile, "<>") && strings.Contains(c.HTML, hostile) && !strings.Contains(base.HTML, hostile) {
				t.Fatalf("%q is in the HTML unescaped", hostile)
			}
		}
		if !strings.Contains(c.Text, update) {
			t.Fatalf("the text lacks the card update link:\n%s", c.Text)
		}
		tok := update[strings.LastIndex(update, "/")+1:]
		if stored := updatelink.Redact(c.Text) + updatelink.Redact(c.HTML); strings.Contains(stored, tok) {
			t.Fatalf("the stored message keeps the token:\n%s", stored)
		}
	})
}
