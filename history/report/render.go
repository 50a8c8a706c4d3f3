package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/internal/svgchart"
)

// The report for people: the same sections in Markdown and in one self-contained HTML page
// (inline CSS, server-side SVG charts, no script).

// MaxListed is how many breaches the Markdown and HTML list one by one (the JSON lists all).
const MaxListed = 100

// section is one part of the report, in words, a table and a chart.
type section struct {
	ID, Title string
	Text      []string
	Lists     []list
	Head      []string
	Rows      [][]string
	Chart     template.HTML // HTML only
	Note      string
}

// list is a list of sentences, with a heading when a section has more than one.
type list struct {
	Heading string
	Items   []string
}

// Markdown writes the report in Markdown.
func Markdown(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n\n", title, subtitle(r))
	for _, s := range sections(r) {
		fmt.Fprintf(&b, "## %s\n\n", s.Title)
		for _, t := range s.Text {
			b.WriteString(t + "\n\n")
		}
		if len(s.Head) > 0 {
			b.WriteString("| " + strings.Join(s.Head, " | ") + " |\n|")
			for i := range s.Head {
				if i == 0 {
					b.WriteString("---|")
				} else {
					b.WriteString("--:|")
				}
			}
			b.WriteString("\n")
			for _, row := range s.Rows {
				b.WriteString("| " + strings.Join(mdCells(row), " | ") + " |\n")
			}
			b.WriteString("\n")
		}
		for _, l := range s.Lists {
			if l.Heading != "" {
				b.WriteString("**" + l.Heading + "**\n\n")
			}
			for _, item := range l.Items {
				b.WriteString("- " + item + "\n")
			}
			b.WriteString("\n")
		}
		if s.Note != "" {
			b.WriteString(s.Note + "\n\n")
		}
	}
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}

func mdCells(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return out
}

//go:embed report.html
var pageHTML string

var page = template.Must(template.New("report").Parse(pageHTML))

// HTML writes the report as one self-contained HTML page.
func HTML(w io.Writer, r Report) error {
	return page.Execute(w, struct {
		Title, Subtitle string
		Sections        []section
	}{title, subtitle(r), sections(r)})
}

const title = "What happened to the failed payments"

func subtitle(r Report) string {
	s := "From " + date(r.From) + " to " + date(r.To) + " (UTC), from the history imported on " +
		r.ImportedAt.UTC().Format("2 January 2006 at 15:04 UTC") + " by recoup history import"
	if !r.ImportSince.IsZero() {
		s += ", which read everything created since " + date(r.ImportSince)
	}
	s += "."
	if r.ImportSince.After(r.From) {
		s += " The period starts earlier: its first days hold only what an earlier import read."
	}
	if !r.ImportDone {
		s += " That import has not finished: the figures cover what it had read."
	}
	return s
}

func date(t time.Time) string { return t.UTC().Format("2 January 2006") }

func sections(r Report) []section {
	ss := []section{summary(r), caveats(r), amounts(r), endings(r)}
	ss = append(ss, byCategory(r), byCode(r), byRetry(r), byHour(r), byWeekday(r), byDaysSince(r), recoveryTime(r), breaches(r))
	return ss
}

func summary(r Report) section {
	s := section{ID: "summary", Title: "Summary"}
	if r.Invoices == 0 {
		s.Text = []string{"No invoice's payment failed in the period, of " + count(r.Charges.N, "charge") + "."}
		return s
	}
	bullets := []string{
		"Charges: " + count(r.Charges.N, "charge") + ", of which " + rate(r.Charges) + " failed.",
		"Failed invoices: " + count(r.Invoices, "invoice") + "; " + rate(r.Recovered()) + " were paid in the end.",
		"Paid by a retry of the card that failed (Stripe's retries): " + rate(Rate{r.ByRetry, r.Invoices}) + ".",
		"Paid by the customer (a new card, after authenticating, or outside Stripe): " + rate(Rate{r.ByCustomer(), r.Invoices}) + ".",
		"Lost (voided or marked uncollectible): " + rate(Rate{r.Unpaid, r.Invoices}) + "; still open: " + rate(Rate{r.Open, r.Invoices}) + ".",
	}
	for _, a := range r.Amounts {
		bullets = append(bullets, fmt.Sprintf("In %s: %s failed, %s recovered, %s lost.", strings.ToUpper(a.Currency),
			money(a.Failed, a.Currency), money(a.ByRetry+a.ByCustomer, a.Currency), money(a.Lost, a.Currency)))
	}
	if len(r.Breaches) > 0 {
		bullets = append(bullets, count(len(r.Breaches), "charge")+" broke a card network's retry rule (below).")
	}
	s.Lists = []list{{Items: bullets}}
	return s
}

func caveats(r Report) section {
	return section{ID: "caveats", Title: "What this history can tell, and what it cannot",
		Text:  []string{"This history is observational: it shows what happened under the retries Stripe chose, not what other choices would have done."},
		Lists: []list{{Heading: "It can tell", Items: r.CanTell}, {Heading: "It cannot tell", Items: r.CannotTell}}}
}

func amounts(r Report) section {
	s := section{ID: "amounts", Title: "Amounts by currency",
		Text: []string{"The amounts due on the failed invoices, by how they ended. Amounts of different currencies are never added."},
		Head: []string{"currency", "failed", "recovered by a retry", "paid by the customer", "lost", "still open"}}
	for _, a := range r.Amounts {
		s.Rows = append(s.Rows, []string{strings.ToUpper(a.Currency), money(a.Failed, a.Currency), money(a.ByRetry, a.Currency),
			money(a.ByCustomer, a.Currency), money(a.Lost, a.Currency), money(a.Open, a.Currency)})
	}
	return s
}

func endings(r Report) section {
	s := section{ID: "endings", Title: "Stripe's retries against the customers",
		Text: []string{"How each failed invoice ended. A retry of the card that failed is Stripe's automatic retry, or the customer paying again with the same card on the hosted page: Stripe does not tell them apart."},
		Head: []string{"ended", "invoices"}}
	for _, e := range []struct {
		what string
		n    int
	}{
		{"paid by a retry of the card that failed", r.ByRetry},
		{"paid with a new card or payment method (a card update)", r.ByNewCard},
		{"paid by the same card after the customer authenticated", r.AfterAuth},
		{"paid outside Stripe, or by a charge not seen", r.Elsewhere},
		{"lost: voided or marked uncollectible", r.Unpaid},
		{"still open", r.Open},
	} {
		s.Rows = append(s.Rows, []string{e.what, rate(Rate{e.n, r.Invoices})})
	}
	return s
}

var groupHead = []string{"invoices", "paid in the end", "by a retry", "by the customer", "lost", "still open", "retries that passed"}

func groupRow(name string, g Group) []string {
	return []string{name, grouped(g.Invoices), rate(g.Recovered()), grouped(g.ByRetry), grouped(g.ByCustomer()),
		grouped(g.Unpaid), grouped(g.Open), rate(g.Retries)}
}

func byCategory(r Report) section {
	s := section{ID: "category", Title: "By decline category",
		Text: []string{"Each failed invoice by the category of its first failure (docs/declines.md). \"Retries that passed\" counts the later charges of the card that failed (a charge of a new card is the customer's payment)."},
		Head: append([]string{"category"}, groupHead...)}
	var labels []string
	paid, retried := svgchart.Series{Name: "paid in the end"}, svgchart.Series{Name: "by a retry"}
	for _, g := range r.ByCategory {
		s.Rows = append(s.Rows, groupRow(g.Label, g))
		labels = append(labels, g.Label)
		paid.Values = append(paid.Values, g.Recovered().Pct())
		retried.Values = append(retried.Values, Rate{g.ByRetry, g.Invoices}.Pct())
	}
	if len(labels) > 0 {
		s.Chart = svgchart.Bar("Failed invoices paid, by decline category", "% of failed invoices", labels, []svgchart.Series{paid, retried})
	}
	return s
}

func byCode(r Report) section {
	s := section{ID: "code", Title: "By decline code",
		Text: []string{"The same by the first failure's decline code (the issuer's, else Stripe's error code)."},
		Head: append([]string{"code"}, groupHead...)}
	for _, g := range r.ByCode {
		s.Rows = append(s.Rows, groupRow(g.Label, g))
	}
	if len(r.NeverRecovered) == 0 {
		s.Note = fmt.Sprintf("Every code of %d or more invoices was recovered at least once.", NeverMin)
		return s
	}
	var never []string
	for _, g := range r.NeverRecovered {
		never = append(never, fmt.Sprintf("%s (%s, %s retried)", g.Label, count(g.Invoices, "invoice"), grouped(g.Retries.N)))
	}
	s.Note = fmt.Sprintf("Never recovered (codes of %d or more invoices none of which was paid, by any means): %s.", NeverMin, strings.Join(never, "; "))
	return s
}

func retryRows(bs []Bucket, withCharges bool) ([]string, [][]string, []svgchart.Series) {
	head := []string{"retries", "passed"}
	if withCharges {
		head = []string{"charges", "failed", "retries", "passed"}
	}
	var rows [][]string
	failed, passed := svgchart.Series{Name: "charges failed"}, svgchart.Series{Name: "retries passed"}
	for _, b := range bs {
		row := []string{b.Label}
		if withCharges {
			row = append(row, grouped(b.Charges.N), pct(b.Charges))
			failed.Values = append(failed.Values, nanIfEmpty(b.Charges))
		}
		rows = append(rows, append(row, grouped(b.Retries.N), pct(b.Retries)))
		passed.Values = append(passed.Values, nanIfEmpty(b.Retries))
	}
	if withCharges {
		return head, rows, []svgchart.Series{failed, passed}
	}
	return head, rows, []svgchart.Series{passed}
}

func nanIfEmpty(r Rate) float64 {
	if r.N == 0 {
		return math.NaN()
	}
	return r.Pct()
}

func byRetry(r Report) section {
	head, rows, ss := retryRows(r.ByRetryNumber, false)
	return section{ID: "retry", Title: "By retry number",
		Text: []string{"The later charges of the card that failed each invoice's first charge, by their rank. Later retries are made only on the invoices earlier ones did not recover."},
		Head: append([]string{"retry"}, head...), Rows: rows,
		Chart: svgchart.Bar("Retries that passed, by retry number", "% of retries", labelsOf(r.ByRetryNumber), ss)}
}

func byHour(r Report) section {
	head, rows, ss := retryRows(r.ByHour, true)
	return section{ID: "hour", Title: "By the customer's local hour",
		Text: []string{"Every charge of the period and every retry of a failed card, by the hour in the customer's time zone (from the card's issuing country, else the policy's zone). Stripe chose these hours."},
		Head: append([]string{"local hour"}, head...), Rows: rows,
		Chart: svgchart.Line("Charges failed and retries passed, by local hour", "local hour", "%", labelsOf(r.ByHour), ss)}
}

func byWeekday(r Report) section {
	head, rows, ss := retryRows(r.ByWeekday, true)
	return section{ID: "weekday", Title: "By the customer's local weekday",
		Head: append([]string{"weekday"}, head...), Rows: rows,
		Chart: svgchart.Bar("Charges failed and retries passed, by local weekday", "%", labelsOf(r.ByWeekday), ss)}
}

func byDaysSince(r Report) section {
	head, rows, ss := retryRows(r.ByDaysSince, false)
	return section{ID: "days", Title: "By days since the first failure",
		Text: []string{"Retries by the time since the invoice's first failure: \"day 1\" is from 24 to 48 hours after it."},
		Head: append([]string{"since the failure"}, head...), Rows: rows,
		Chart: svgchart.Bar("Retries that passed, by days since the failure", "% of retries", labelsOf(r.ByDaysSince), ss)}
}

func labelsOf(bs []Bucket) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Label
	}
	return out
}

func recoveryTime(r Report) section {
	s := section{ID: "recovery", Title: "Time to recovery",
		Text: []string{"The share of all failed invoices paid by the end of each day after the first failure (day 0: its first 24 hours)."},
		Head: []string{"by the end of", "paid by a retry", "paid by any means"}}
	if r.Recovered().K > 0 {
		s.Text = append(s.Text, "Half of the recovered invoices were paid within "+num(r.Recovery.MedianDays, 1)+" days of the first failure.")
	}
	for _, d := range []int{0, 1, 3, 7, 14, 30, CurveDays} {
		s.Rows = append(s.Rows, []string{"day " + strconv.Itoa(d), num(r.Recovery.ByRetry[d], 1) + "%", num(r.Recovery.Any[d], 1) + "%"})
	}
	s.Chart = svgchart.Line("Failed invoices paid, by days since the first failure", "days since the first failure", "% of failed invoices", nil,
		[]svgchart.Series{{Name: "by any means", Values: r.Recovery.Any}, {Name: "by a retry", Values: r.Recovery.ByRetry}})
	return s
}

func breaches(r Report) section {
	s := section{ID: "breaches", Title: "Charges that broke a card network's retry rule",
		Text: []string{"Each charge put to recoup's own network guard (docs/declines.md) over the card's earlier charges of the period since its latest success: Visa's reattempts in 30 days (15 until 25 May 2025, 20 since), Mastercard's declines in 24 hours and in 30 days and its advice codes' waits, and any charge after a decline that forbids retrying the card. Stripe's recommended 8 retries is not a network rule and is not counted. A card's charges before the period are not seen."}}
	if len(r.Breaches) == 0 {
		s.Text = append(s.Text, "No charge of the period broke one.")
		return s
	}
	s.Head = []string{"rule", "charges"}
	for _, c := range r.BreachRules {
		s.Rows = append(s.Rows, []string{c.Rule, grouped(c.Count)})
	}
	var items []string
	for i, b := range r.Breaches {
		if i == MaxListed {
			items = append(items, fmt.Sprintf("and %s more (--format json lists them all)", grouped(len(r.Breaches)-MaxListed)))
			break
		}
		l := fmt.Sprintf("%s: charge %s", b.At.UTC().Format("2006-01-02 15:04 UTC"), b.ChargeID)
		if b.InvoiceID != "" {
			l += " of invoice " + b.InvoiceID
		}
		l += fmt.Sprintf(", customer %s, %s card %s: %s", b.CustomerID, cardBrand(b.Brand), b.Card, b.Rule)
		if !b.AllowedAt.IsZero() {
			l += "; allowed from " + b.AllowedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		items = append(items, l)
	}
	s.Lists = []list{{Heading: "The charges, earliest first", Items: items}}
	return s
}

func cardBrand(b string) string {
	if b == "" {
		return "the"
	}
	return strings.ToUpper(b[:1]) + b[1:]
}

// rate is "42.9% (3 of 7)", or "none" of nothing.
func rate(r Rate) string {
	if r.N == 0 {
		return "none"
	}
	return num(r.Pct(), 1) + "% (" + grouped(r.K) + " of " + grouped(r.N) + ")"
}

// pct is "42.9% (3)", or "–" of nothing: in a table whose count is beside it.
func pct(r Rate) string {
	if r.N == 0 {
		return "–"
	}
	return num(r.Pct(), 1) + "% (" + grouped(r.K) + ")"
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return grouped(n) + " " + what + "s"
}

func money(v int64, currency string) string {
	return recoup.Money{Amount: v, Currency: currency}.String()
}

func num(v float64, dec int) string { return strconv.FormatFloat(v, 'f', dec, 64) }

// grouped writes n with thousands separators: 1,234.
func grouped(n int) string {
	if n < 0 {
		return "-" + grouped(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
