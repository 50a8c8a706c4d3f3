package templates

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// The messages outside the campaign: a confirmation without a button, a card expiry notice, and
// invoice reminders before, on and after the due date.
func TestGoldenNotices(t *testing.T) {
	s := load(t)
	due := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		golden, name string
		days         int
	}{
		{"en_payment_received", "payment_received", 0},
		{"en_card_expiring", "card_expiring", 10},
		{"en_invoice_due_before", "invoice_due", 3},
		{"en_invoice_due_today", "invoice_due", 0},
		{"en_invoice_due_after", "invoice_due", -7},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			in := input(tc.name, "neutral", recoup.CategoryUnknown)
			if tc.name != "payment_received" {
				in.DueAt, in.DueInDays = due, tc.days
			}
			c, err := s.Render(in)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden, c)
			hasButton := strings.Contains(c.HTML, `<a href="https://pay.acme.example/u/TOKEN"`)
			if hasButton != (tc.name != "payment_received") {
				t.Errorf("button shown: %v", hasButton)
			}
		})
	}
}
