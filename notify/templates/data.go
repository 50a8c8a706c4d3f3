package templates

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// Branding is how messages present the merchant.
type Branding struct {
	Company string // the name customers know, e.g. "Acme"
	LogoURL string // https URL of a logo image; "" shows the company name instead
	Accent  string // the button colour, #rgb or #rrggbb; default #1c1917
	Support string // the support email address, shown in messages; "" for none
	From    string // the sender address, "Name <address>"; used by the email channel
}

var hexColour = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// Validate checks the branding and fills its defaults.
func (b *Branding) Validate() error {
	if b.Company == "" {
		return recoup.Errorf(recoup.EINVALID, "branding: a company name is required")
	}
	if b.Accent == "" {
		b.Accent = "#1c1917"
	}
	// The colour goes into a style attribute: only a plain hex colour is allowed there.
	if !hexColour.MatchString(b.Accent) {
		return recoup.Errorf(recoup.EINVALID, "branding: accent colour must be #rgb or #rrggbb, got %q", b.Accent)
	}
	if b.LogoURL != "" {
		if u, err := url.Parse(b.LogoURL); err != nil || u.Scheme != "https" || u.Host == "" {
			return recoup.Errorf(recoup.EINVALID, "branding: logo URL must be an https URL, got %q", b.LogoURL)
		}
	}
	if b.Support != "" && !strings.Contains(b.Support, "@") {
		return recoup.Errorf(recoup.EINVALID, "branding: support must be an email address, got %q", b.Support)
	}
	return nil
}

// Input is what a message is written from.
type Input struct {
	Template  string // the campaign step's template name; unknown names use "default"
	Tone      string
	Locale    string // the customer's locale (en, fr-CA, ...); "" is English
	Category  recoup.Category
	FirstName string // "" when unknown
	Amount    recoup.Money
	InvoiceID string
	Step      int
	// UpdateURL and UnsubscribeURL are the message's signed links.
	UpdateURL      string
	UnsubscribeURL string
	// FinalAt is when the final action is planned; zero when unknown.
	FinalAt  time.Time
	Location *time.Location // the customer's time zone for dates; nil is UTC
	// DueAt is the date a notice is about: the invoice's due date (invoice_due), the renewal
	// the expiring card will not pay (card_expiring); zero when none. DueInDays is how many
	// days it is away (negative: past).
	DueAt     time.Time
	DueInDays int
}

// Data is what the templates see.
type Data struct {
	FirstName      string
	Amount         string // formatted with its currency, e.g. "$25.00"
	InvoiceID      string
	Category       string // the recovery category in plain words, from "category/<name>"
	CategoryCode   recoup.Category
	Step           int
	Tone           string
	UpdateURL      string
	UnsubscribeURL string
	FinalDate      string // e.g. "Monday, March 16, 2026"; "" when unknown
	DueDate        string // the date a notice is about (Input.DueAt), same format; "" when none
	DueInDays      int    // days until DueDate; negative when past
	// Authenticate: the bank wants the customer to confirm the payment (the link leads to
	// the invoice page rather than to a card update).
	Authenticate bool
	// NeedsCustomer: recoup cannot retry this card; only the customer can fix it.
	NeedsCustomer bool
	Brand         Branding
}

// threeDecimal lists the currencies Stripe counts in thousandths.
var threeDecimal = map[string]bool{"bhd": true, "jod": true, "kwd": true, "omr": true, "tnd": true}

// symbols are the prefixes English readers know; other currencies show their code.
var symbols = map[string]string{
	"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "cad": "CA$", "aud": "A$", "nzd": "NZ$",
	"krw": "₩", "brl": "R$", "mxn": "MX$", "hkd": "HK$", "sgd": "S$",
}

// FormatMoney writes an amount the English way: "$1,234.50", "¥1,200", "CHF 12.00".
func FormatMoney(m recoup.Money) string {
	cur := strings.ToLower(m.Currency)
	decimals := 2
	switch {
	case recoup.IsZeroDecimal(cur):
		decimals = 0
	case threeDecimal[cur]:
		decimals = 3
	}
	a, sign := m.Amount, ""
	if a < 0 {
		a, sign = -a, "-"
	}
	unit := int64(1)
	for range decimals {
		unit *= 10
	}
	s := group(a / unit)
	if decimals > 0 {
		s += fmt.Sprintf(".%0*d", decimals, a%unit)
	}
	if sym, ok := symbols[cur]; ok {
		return sign + sym + s
	}
	return sign + strings.ToUpper(cur) + " " + s
}

// group writes n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
