package templates

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/notify/sms"
)

// A text is short (two segments at most), carries the card update link and the opt-out words,
// and nothing else from the case but the amount: no invoice number, no unsubscribe link.
func TestSMSText(t *testing.T) {
	c := rewriter(t)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, tone := range []string{"gentle", "helpful", "urgent", "final", "neutral"} {
		d := engine.Draft{Case: recoup.Case{ID: 42, InvoiceID: "in_secret_number", Amount: recoup.Money{Amount: 2500, Currency: "usd"}},
			Customer: recoup.Customer{Name: "Ada Lovelace"}, Channel: "sms", Template: "update_card", Tone: tone, Now: now}
		out, err := c.Render(d)
		if err != nil {
			t.Fatal(err)
		}
		links := tokenRE.FindAllString(out.Text, -1)
		switch {
		case out.Subject != "" || out.HTML != "":
			t.Errorf("%s: a text with a subject or HTML: %+v", tone, out)
		case len(links) != 1 || !strings.HasPrefix(links[0], "/u/"):
			t.Errorf("%s: links %v in %q", tone, links, out.Text)
		case !strings.Contains(out.Text, "25.00 USD") || !strings.Contains(out.Text, "Reply STOP"):
			t.Errorf("%s: %q", tone, out.Text)
		case strings.Contains(out.Text, "in_secret_number") || strings.Contains(out.Text, "Ada"):
			t.Errorf("%s: more than needed: %q", tone, out.Text)
		case sms.Segments(out.Text) > 2:
			t.Errorf("%s: %d segments: %q", tone, sms.Segments(out.Text), out.Text)
		}
	}
}
