package templates

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/updatelink"
)

func rewriter(t *testing.T) *Campaign {
	t.Helper()
	signer, err := updatelink.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	links, err := updatelink.NewLinks("https://pay.acme.example", signer, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &Campaign{Set: load(t), Links: links}
}

var tokenRE = regexp.MustCompile(`/(u|unsubscribe)/[A-Za-z0-9_\-.]+`)

// The words sent to a model carry no invoice number, no greeting or footer, and the link
// placeholder exactly once, for every shipped template and category.
func TestBaseForTheModel(t *testing.T) {
	r := rewriter(t)
	cats := append([]recoup.Category{recoup.CategoryUnknown}, recoup.Categories...)
	for _, name := range append(Names, "a_custom_template") {
		for _, cat := range cats {
			c := recoup.Case{ID: 7, InvoiceID: "in_1NxYzAbCdEf", CustomerID: "cus_Q", Category: cat, Amount: recoup.Money{Amount: 4900, Currency: "usd"}}
			d := engine.Draft{Case: c, Customer: recoup.Customer{Name: "Ada Lovelace"}, Channel: "email", Template: name, Tone: "helpful",
				FinalAt: time.Date(2026, 3, 23, 10, 0, 0, 0, time.UTC)}
			subject, body, err := r.Base(d)
			if err != nil {
				t.Fatal(err)
			}
			all := subject + "\n" + body
			for _, bad := range []string{"in_1NxYz", "invoice in", "Hi Ada", "Unsubscribe", "https://", "Thank you"} {
				if strings.Contains(all, bad) {
					t.Errorf("%s/%s: base holds %q:\n%s", name, cat, bad, all)
				}
			}
			if n := strings.Count(body, engine.LinkPlaceholder); n != 1 || strings.Contains(subject, engine.LinkPlaceholder) {
				t.Errorf("%s/%s: placeholder %d times in the body, want once:\n%s", name, cat, n, body)
			}
			if !strings.Contains(body, "$49.00") {
				t.Errorf("%s/%s: the amount is missing:\n%s", name, cat, body)
			}
		}
	}
}

// A rewritten message laid out: the model's greeting and words, the real link where the model
// put it in a sentence, a bare link line replaced by the button, and the template's footer.
func TestComposeGolden(t *testing.T) {
	r := rewriter(t)
	c := recoup.Case{ID: 7, InvoiceID: "in_1NxYz", Category: recoup.CategoryFunds, Amount: recoup.Money{Amount: 4900, Currency: "usd"}}
	d := engine.Draft{Case: c, Channel: "email", Template: "update_card", Tone: "helpful", Now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	body := "Hi Ada,\n\nYour payment of $49.00 didn't go through. You can add a new card at {{update_link}} in about a minute.\n\n" +
		"Update your payment method: {{update_link}}\n\nThanks for being with us, <Ada> & co."
	out, err := r.Compose(d, "Ada, a quick fix for your payment", body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.Text+out.HTML, engine.LinkPlaceholder) {
		t.Error("the placeholder is left in the message")
	}
	if n := strings.Count(out.Text, "https://pay.acme.example/u/"); n != 2 {
		t.Errorf("update link %d times in the text, want 2 (in the sentence and the link line):\n%s", n, out.Text)
	}
	if strings.Contains(out.HTML, "<Ada>") || !strings.Contains(out.HTML, "&lt;Ada&gt; &amp; co.") {
		t.Error("the model's words are not escaped in HTML")
	}
	golden(t, "en_composed", Content{Subject: out.Subject, Text: tokenRE.ReplaceAllString(out.Text, "/$1/TOKEN"), HTML: tokenRE.ReplaceAllString(out.HTML, "/$1/TOKEN")})

	hook, err := r.Compose(engine.Draft{Case: c, Channel: "webhook", Template: "update_card", Tone: "helpful"}, "Subject", body)
	if err != nil || hook.HTML != "" {
		t.Errorf("webhook: %+v %v, want text only", hook, err)
	}
}
