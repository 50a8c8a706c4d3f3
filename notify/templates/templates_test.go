package templates

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/updatelink"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var brand = Branding{Company: "Acme", LogoURL: "https://acme.example/logo.png", Accent: "#0a7cff",
	Support: "help@acme.example", From: "Acme Billing <billing@acme.example>"}

func load(t *testing.T) *Set {
	t.Helper()
	s, err := Load("", brand)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func input(name, tone string, cat recoup.Category) Input {
	return Input{Template: name, Tone: tone, Category: cat, FirstName: "Ada", Amount: recoup.Money{Amount: 2500, Currency: "usd"},
		InvoiceID: "in_1NxYz", Step: 1, UpdateURL: "https://pay.acme.example/u/TOKEN", UnsubscribeURL: "https://pay.acme.example/unsubscribe/TOKEN"}
}

// golden compares got with testdata/golden/<name>.golden, or rewrites it with -update.
func golden(t *testing.T, name string, c Content) {
	t.Helper()
	got := "Subject: " + c.Subject + "\n\n----- text -----\n" + c.Text + "\n----- html -----\n" + c.HTML
	file := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got ---\n%s", name, got)
	}
}

// Every shipped template in its campaign tone, for every recovery category.
func TestGoldenTemplates(t *testing.T) {
	s := load(t)
	final := time.Date(2026, 3, 23, 10, 0, 0, 0, time.UTC)
	cats := append([]recoup.Category{recoup.CategoryUnknown}, recoup.Categories...)
	for _, tc := range []struct{ name, tone string }{
		{"payment_failed", "gentle"}, {"update_card", "helpful"}, {"suspension_notice", "urgent"}, {"final_notice", "final"},
	} {
		for _, cat := range cats {
			t.Run(tc.name+"/"+string(cat), func(t *testing.T) {
				in := input(tc.name, tc.tone, cat)
				if tc.tone == "urgent" || tc.tone == "final" {
					in.FinalAt = final
				}
				c, err := s.Render(in)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, "en_"+tc.name+"_"+string(cat), c)
			})
		}
	}
	// A template name the shipped words do not know uses the default words of its tone.
	for _, tone := range Tones {
		t.Run("custom name/"+tone, func(t *testing.T) {
			c, err := s.Render(input("winback_offer", tone, recoup.CategoryFunds))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "en_default_"+tone, c)
		})
	}
	t.Run("no first name, no logo, no support, no final date, euros", func(t *testing.T) {
		plain, err := Load("", Branding{Company: "Plain Co"})
		if err != nil {
			t.Fatal(err)
		}
		in := input("suspension_notice", "urgent", recoup.CategoryIssuerSoft)
		in.FirstName, in.Amount = "", recoup.Money{Amount: 123456789, Currency: "eur"}
		c, err := plain.Render(in)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "en_plain_brand", c)
	})
}

func TestHTMLEscapes(t *testing.T) {
	s, err := Load("", Branding{Company: `<script>alert("x")</script>`})
	if err != nil {
		t.Fatal(err)
	}
	in := input("update_card", "helpful", recoup.CategoryFunds)
	in.FirstName = `<img src=x onerror=alert(1)>`
	in.UpdateURL = `javascript:alert(1)`
	c, err := s.Render(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<img src=x", `href="javascript:`} {
		if strings.Contains(c.HTML, bad) {
			t.Errorf("HTML contains %q unescaped", bad)
		}
	}
}

func TestOverridesAndLocales(t *testing.T) {
	over := fstest.MapFS{
		// An override of one English define: the rest stays.
		"en/messages.tmpl": {Data: []byte(`{{define "subject/payment_failed"}}Heads up from {{.Brand.Company}}{{end}}`)},
		// A partial French translation: what it leaves out stays in English.
		"fr/messages.tmpl": {Data: []byte(`{{define "greeting"}}Bonjour {{.FirstName}},{{end}}
{{define "subject/update_card"}}Merci de mettre à jour votre moyen de paiement{{end}}`)},
	}
	s, err := LoadFS(over, brand)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Locales(); strings.Join(got, ",") != "en,fr" {
		t.Errorf("Locales() = %v", got)
	}
	for _, tc := range []struct {
		locale, name, subject, greeting string
	}{
		{"", "payment_failed", "Heads up from Acme", "Hi Ada,"},
		{"en-GB", "update_card", "Please update your payment method for Acme", "Hi Ada,"},
		{"fr", "update_card", "Merci de mettre à jour votre moyen de paiement", "Bonjour Ada,"},
		{"fr_CA", "update_card", "Merci de mettre à jour votre moyen de paiement", "Bonjour Ada,"},
		{"fr-CA", "payment_failed", "Heads up from Acme", "Bonjour Ada,"}, // the English override, under the French greeting
		{"de", "update_card", "Please update your payment method for Acme", "Hi Ada,"},
	} {
		in := input(tc.name, "helpful", recoup.CategoryFunds)
		in.Locale = tc.locale
		c, err := s.Render(in)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != tc.subject || !strings.HasPrefix(c.Text, tc.greeting) {
			t.Errorf("locale %q %s: subject %q, text starts %q; want %q, %q", tc.locale, tc.name, c.Subject, firstLine(c.Text), tc.subject, tc.greeting)
		}
	}

	// A broken override fails at load, not at a customer's message.
	for name, src := range map[string]string{
		"syntax":        `{{define "greeting"}}Hi {{.FirstName}{{end}}`,
		"unknown field": `{{define "greeting"}}Hi {{.Nickname}},{{end}}`,
	} {
		if _, err := LoadFS(fstest.MapFS{"en/messages.tmpl": {Data: []byte(src)}}, brand); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("%s: LoadFS error %v, want EINVALID", name, err)
		}
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func TestBranding(t *testing.T) {
	for name, b := range map[string]Branding{
		"no company":        {},
		"css in the accent": {Company: "A", Accent: "red;background:url(x)"},
		"http logo":         {Company: "A", LogoURL: "http://a.example/logo.png"},
		"support not email": {Company: "A", Support: "call us"},
	} {
		if err := b.Validate(); recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	b := Branding{Company: "A"}
	if err := b.Validate(); err != nil || b.Accent != "#1c1917" {
		t.Errorf("defaults: %v, accent %q", err, b.Accent)
	}
}

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		m    recoup.Money
		want string
	}{
		{recoup.Money{Amount: 2500, Currency: "usd"}, "$25.00"},
		{recoup.Money{Amount: 123456789, Currency: "eur"}, "€1,234,567.89"},
		{recoup.Money{Amount: 5, Currency: "gbp"}, "£0.05"},
		{recoup.Money{Amount: 1200, Currency: "jpy"}, "¥1,200"},
		{recoup.Money{Amount: 1234, Currency: "chf"}, "CHF 12.34"},
		{recoup.Money{Amount: 12345, Currency: "kwd"}, "KWD 12.345"},
		{recoup.Money{Amount: -999, Currency: "usd"}, "-$9.99"},
		{recoup.Money{Amount: 100000, Currency: "cad"}, "CA$1,000.00"},
	} {
		if got := FormatMoney(tc.m); got != tc.want {
			t.Errorf("FormatMoney(%v) = %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestCampaignRenderer(t *testing.T) {
	signer, err := updatelink.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	links, err := updatelink.NewLinks("https://pay.acme.example", signer, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := &Campaign{Set: load(t), Links: links, Profile: func(engine.Draft) Profile { return Profile{FirstName: "Grace"} }}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c := recoup.Case{ID: 9, InvoiceID: "in_9", CustomerID: "cus_9", Category: recoup.CategoryIssuerSoft,
		LastDecline: &recoup.Decline{Code: "authentication_required"}, Amount: recoup.Money{Amount: 4200, Currency: "usd"}}
	out, err := r.Render(engine.Draft{Case: c, Step: 2, Channel: "email", Template: "update_card", Tone: "helpful", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Text, "Hi Grace,") || !strings.Contains(out.Text, "Confirm the payment: https://pay.acme.example/u/") || out.HTML == "" {
		t.Fatalf("text:\n%s", out.Text)
	}
	// The link in the message verifies for this case.
	tok := strings.Fields(strings.SplitN(out.Text, "https://pay.acme.example/u/", 2)[1])[0]
	if cl, err := signer.Verify(tok, updatelink.Update, now); err != nil || cl.CaseID != 9 {
		t.Errorf("update token: %+v %v", cl, err)
	}
	hook, err := r.Render(engine.Draft{Case: c, Step: 2, Channel: "webhook", Template: "update_card", Tone: "helpful", Now: now})
	if err != nil || hook.HTML != "" || hook.Text == "" {
		t.Errorf("webhook content %+v %v: want text only", hook, err)
	}
}

func TestCampaignFirstNameFromTheInvoice(t *testing.T) {
	signer, _ := updatelink.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	links, _ := updatelink.NewLinks("https://pay.acme.example", signer, 0, 0)
	r := &Campaign{Set: load(t), Links: links}
	c := recoup.Case{ID: 9, InvoiceID: "in_9", Category: recoup.CategoryFunds, Amount: recoup.Money{Amount: 4200, Currency: "usd"}}
	for name, want := range map[string]string{"Ada Lovelace": "Hi Ada,", "  Grace  ": "Hi Grace,", "": "Hello,"} {
		out, err := r.Render(engine.Draft{Case: c, Invoice: recoup.Invoice{CustomerName: name}, Channel: "email", Template: "update_card", Tone: "helpful"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.Text, want) {
			t.Errorf("customer name %q: text starts %q, want %q", name, firstLine(out.Text), want)
		}
	}
}

func TestCampaignLocaleAndNameFromTheCustomer(t *testing.T) {
	set, err := LoadFS(fstest.MapFS{"fr/messages.tmpl": {Data: []byte(`{{define "greeting"}}Bonjour {{.FirstName}},{{end}}`)}}, brand)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := updatelink.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	links, _ := updatelink.NewLinks("https://pay.acme.example", signer, 0, 0)
	r := &Campaign{Set: set, Links: links}
	c := recoup.Case{ID: 9, InvoiceID: "in_9", Category: recoup.CategoryFunds, Amount: recoup.Money{Amount: 4200, Currency: "eur"}}
	for _, tc := range []struct {
		cus  recoup.Customer
		inv  string
		want string
	}{
		{recoup.Customer{Name: "Marie Curie", Locales: []string{"fr-FR", "en"}}, "M. Curie", "Bonjour Marie,"},
		{recoup.Customer{Locales: []string{"de"}}, "Emmy Noether", "Hi Emmy,"}, // no German: English, the invoice's name
		{recoup.Customer{}, "", "Hello,"},
	} {
		out, err := r.Render(engine.Draft{Case: c, Customer: tc.cus, Invoice: recoup.Invoice{CustomerName: tc.inv}, Channel: "email", Template: "update_card", Tone: "helpful"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.Text, tc.want) {
			t.Errorf("customer %+v: text starts %q, want %q", tc.cus, firstLine(out.Text), tc.want)
		}
	}
}
