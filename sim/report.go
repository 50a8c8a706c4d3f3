package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/internal/svgchart"
)

// WriteReport writes the results of runs of several policies on one world to dir:
// summary.json (the runs as they are), aggregate.json (Aggregate and Compare), report.md and
// report.html (the same tables for people) and the charts report.md embeds (recovery-curve.svg,
// categories.svg, monthly.svg). The differences are against baseline; with baseline "" there
// are none. The files' bytes depend only on runs and baseline.
func WriteReport(dir string, runs []Summary, baseline string) error {
	if err := checkRuns(runs, baseline); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	summary, err := json.MarshalIndent(runs, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: encode summary.json: %w", err)
	}
	aggs := Aggregate(runs)
	diffs := []Difference{}
	if baseline != "" {
		diffs = Compare(runs, baseline)
	}
	aggregate, err := json.MarshalIndent(struct {
		Policies    []PolicyAggregate `json:"policies"`
		Differences []Difference      `json:"differences"`
	}{aggs, diffs}, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: encode aggregate.json: %w", err)
	}
	rep := buildReport(runs, aggs, diffs, baseline)
	var page bytes.Buffer
	if err := htmlReport.Execute(&page, rep); err != nil {
		return fmt.Errorf("write report: render report.html: %w", err)
	}

	type file struct {
		name string
		data []byte
	}
	files := []file{
		{"summary.json", append(summary, '\n')},
		{"aggregate.json", append(aggregate, '\n')},
		{"report.md", rep.markdown()},
		{"report.html", page.Bytes()},
	}
	for _, s := range rep.Sections {
		if s.Chart != nil {
			files = append(files, file{s.Chart.File, []byte(s.Chart.SVG)})
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// checkRuns refuses what the report would silently get wrong: runs of several worlds averaged
// together, a seed counted twice for a policy, a baseline that did not run.
func checkRuns(runs []Summary, baseline string) error {
	if len(runs) == 0 {
		return errors.New("no runs")
	}
	type key struct {
		policy string
		seed   uint64
	}
	seen := map[key]bool{}
	hasBaseline := baseline == ""
	for _, r := range runs {
		if r.World != runs[0].World {
			return fmt.Errorf("runs of several worlds (%q, %q): report one world at a time", runs[0].World, r.World)
		}
		k := key{r.Policy, r.Seed}
		if seen[k] {
			return fmt.Errorf("policy %q ran seed %d twice", r.Policy, r.Seed)
		}
		seen[k] = true
		hasBaseline = hasBaseline || r.Policy == baseline
	}
	if !hasBaseline {
		return fmt.Errorf("baseline %q is not among the runs' policies", baseline)
	}
	return nil
}

// report is what report.md and report.html both show.
type report struct {
	Title    string
	Subtitle string
	Sections []section
}

type section struct {
	Heading string
	Notes   []string
	Table   *table
	Chart   *chart
}

type table struct {
	Header []string
	Rows   [][]string
}

type chart struct {
	File string // next to report.md
	Alt  string
	SVG  template.HTML // every text in it escaped by the chart functions
}

func buildReport(runs []Summary, aggs []PolicyAggregate, diffs []Difference, baseline string) report {
	groups := byPolicy(runs)
	// The world's own figures (oracle, categories' shares, months' invoices) are the same for
	// every policy on a seed: take them once per seed.
	var world []Summary
	var seeds []uint64
	for _, r := range runs {
		if !slices.Contains(seeds, r.Seed) {
			seeds = append(seeds, r.Seed)
			world = append(world, r)
		}
	}
	slices.Sort(seeds)
	multi := false
	for _, a := range aggs {
		multi = multi || len(a.Seeds) > 1
	}

	first := runs[0]
	invoices := func(r Summary) (float64, bool) { return float64(r.FailedInvoices), true }
	lo, hi := minMax(world, invoices)
	perRun := num(lo, 0)
	if hi != lo {
		perRun = num(lo, 0) + " to " + num(hi, 0)
	}
	rep := report{
		Title: "Recovery simulation: " + first.World,
		Subtitle: fmt.Sprintf("%d policies · %s · %d months · %s failed invoices per run · amounts in %s",
			len(groups), seedList(seeds), first.Months, perRun, first.Currency),
	}

	var beaten []string
	for _, r := range runs {
		if r.OracleBeaten > 0 {
			beaten = append(beaten, fmt.Sprintf("Policy %s with seed %d collected %d invoices the oracle called uncollectable: the world's oracle is wrong.", r.Policy, r.Seed, r.OracleBeaten))
		}
	}
	if w := seedsWarning(aggs); w != "" {
		beaten = append(beaten, w)
	}
	if beaten != nil {
		rep.Sections = append(rep.Sections, section{Heading: "Checks", Notes: beaten})
	}

	// Counts averaged over several seeds keep one decimal.
	cd := 0
	if multi {
		cd = 1
	}
	main := &table{Header: []string{"Policy", "Recovered amount %", "Recovered count %", "Attempts",
		"Attempts / recovery", "Retry success %", "Messages", "Messages / recovery", "Median days",
		"P90 days", "Network violations", "Fees (" + first.Currency + ")", "Lost to messaging",
		"Oracle amount %", "Ratio to oracle"}}
	for _, a := range aggs {
		name := a.Policy
		if name == baseline {
			name += " (baseline)"
		}
		main.Rows = append(main.Rows, []string{name, pm(a.RecoveredAmountPct, 1), pm(a.RecoveredCountPct, 1),
			pm(a.Attempts, cd), pm(a.AttemptsPerRecovery, 2), pm(a.RetrySuccessRate, 1), pm(a.MessagesSent, cd),
			pm(a.MessagesPerRecovery, 2), pm(a.MedianDaysToRecovery, 1), pm(a.P90DaysToRecovery, 1),
			pm(a.NetworkViolations, cd), pm(a.NetworkFees, 2), pm(a.CustomersLostToMessaging, cd),
			pm(a.OracleRecoveredAmountPct, 1), pm(a.RatioToOracle, 3)})
	}
	note := "One seed per policy: single values, no confidence interval."
	if multi {
		note = "Means over seeds; ± is the half-width of the 95% confidence interval (Student t, n-1 degrees of freedom). A policy with one seed has no interval."
	}
	rep.Sections = append(rep.Sections, section{Heading: "Policies", Notes: []string{note,
		"Rates are over all failed invoices. Attempts are recoup's charges; the oracle is the most any policy obeying the card-network rules could have collected."}, Table: main})

	if h := historySection(groups); h != nil {
		rep.Sections = append(rep.Sections, *h)
	}

	if baseline != "" {
		t := &table{Header: []string{"Policy", "Seeds", "Δ recovered amount (pp)", "Δ recovered count (pp)",
			"Δ attempts / recovery", "Recovered amount ratio", "Verdict"}}
		for _, d := range diffs {
			t.Rows = append(t.Rows, []string{d.Policy, strconv.Itoa(len(d.Seeds)), interval(d.RecoveredAmountPct, 1, true),
				interval(d.RecoveredCountPct, 1, true), interval(d.AttemptsPerRecovery, 2, true),
				interval(d.RecoveredAmountRatio, 3, false), verdict(d.RecoveredAmountPct)})
		}
		rep.Sections = append(rep.Sections, section{Heading: "Against " + baseline, Notes: []string{
			"Each policy minus the baseline on the same seeds, hence the same world: the mean of the per-seed differences and its 95% confidence interval. The ratio is the policy's recovered amount over the baseline's, averaged over seeds. The verdict reads the recovered amount interval.",
		}, Table: t})
	}

	if s := experimentSection(runs, aggs); s != nil {
		rep.Sections = append(rep.Sections, *s)
	}

	var curves []series
	plotted := false
	for _, g := range groups {
		curves = append(curves, series{Name: g[0].Policy, Values: meanCurve(g)})
		plotted = plotted || len(curves[len(curves)-1].Values) > 0
	}
	if plotted {
		rep.Sections = append(rep.Sections, section{Heading: "Recovery over time",
			Notes: []string{"Share of the failed amount collected within a number of days of the first failure, mean over seeds."},
			Chart: &chart{File: "recovery-curve.svg", Alt: "Recovered amount % by days since first failure",
				SVG: lineChart("Recovered amount by days since first failure", "days since first failure", "% of failed amount", nil, curves)}})
	}

	// Sections whose table would hold no figure (runs without categories, mechanisms or
	// months) are left out, with their charts.
	for _, s := range []section{categorySection(runs, groups, world), mechanismSection(groups), monthlySection(groups, world)} {
		if s.Table.hasData() {
			rep.Sections = append(rep.Sections, s)
		}
	}
	return rep
}

// fewSeeds is how many seeds a policy needs before its 95% intervals say much: with n seeds the
// interval's half-width is t(0.975, n-1)·s/√n, and t is 12.7 for 2 seeds, 4.3 for 3 and 3.2
// for 4, against 2.8 for 5 and 2.0 for 30; few seeds also estimate s itself poorly.
const fewSeeds = 5

// seedsWarning warns when the report prints intervals over fewer than fewSeeds seeds; "" when
// it prints none (one seed) or all rest on enough.
func seedsWarning(aggs []PolicyAggregate) string {
	least := 0
	for _, a := range aggs {
		if n := len(a.Seeds); n > 1 && (least == 0 || n < least) {
			least = n
		}
	}
	if least == 0 || least >= fewSeeds {
		return ""
	}
	return fmt.Sprintf("Too few seeds for the intervals: %d seeds give a 95%% interval %.1f times the standard error wide on each side (Student t, %d degrees of freedom), and a poor estimate of the spread itself. Read them as rough; run at least %d seeds (--seeds %d) before trusting a difference.",
		least, studentTQuantile(0.975, float64(least-1)), least-1, fewSeeds, fewSeeds)
}

// hasData reports whether a table has a figure: a cell beyond the row names that is not empty
// or a dash.
func (t *table) hasData() bool {
	if t == nil {
		return false
	}
	for _, r := range t.Rows {
		for _, c := range r[1:] {
			if c != "" && c != "—" {
				return true
			}
		}
	}
	return false
}

// historySection says what past each policy's runs imported before their first failure
// (Run.History); nil when none did.
func historySection(groups [][]Summary) *section {
	t := &table{Header: []string{"Policy", "Days of past", "Failed invoices imported", "Charges imported", "Outcomes learned"}}
	for _, g := range groups {
		var n, inv, ch, obs, days int
		for _, r := range g {
			if r.History != nil {
				n++
				inv, ch, obs, days = inv+r.History.Invoices, ch+r.History.Charges, obs+r.History.Observations, r.History.Days
			}
		}
		if n == 0 {
			continue
		}
		per := func(x int) string { return num(float64(x)/float64(n), 0) }
		t.Rows = append(t.Rows, []string{g[0].Policy, strconv.Itoa(days), per(inv), per(ch), per(obs)})
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return &section{Heading: "The account's past", Notes: []string{
		"Before its first failure, each run imported the past the world played before the simulated period (the same failures per month, handled by Stripe's own recovery alone) with the history import, reading the world's Stripe listings of charges and invoices. Means per run.",
	}, Table: t}
}

func categorySection(runs []Summary, groups [][]Summary, world []Summary) section {
	var cats []recoup.Category
	for _, r := range runs {
		for _, c := range r.Categories {
			if !slices.Contains(cats, c.Category) {
				cats = append(cats, c.Category)
			}
		}
	}
	find := func(cat recoup.Category, f func(CategoryStat) float64) func(Summary) (float64, bool) {
		return func(r Summary) (float64, bool) {
			for _, c := range r.Categories {
				if c.Category == cat {
					return f(c), true
				}
			}
			return 0, false
		}
	}
	t := &table{Header: []string{"Policy"}}
	for _, c := range cats {
		share, ok := meanBy(world, func(r Summary) (float64, bool) {
			v, ok := find(c, func(c CategoryStat) float64 { return c.FailedAmount })(r)
			return 100 * v / r.FailedAmount, ok && r.FailedAmount > 0
		})
		h := string(c)
		if ok {
			h += " (" + num(share, 0) + "% of amount)"
		}
		t.Header = append(t.Header, h)
	}
	row := func(name string, runs []Summary, stat func(CategoryStat) float64) series {
		cells, s := []string{name}, series{Name: name}
		for _, c := range cats {
			v, ok := meanBy(runs, find(c, stat))
			cells = append(cells, orDash(v, ok, 1))
			if !ok {
				v = math.NaN()
			}
			s.Values = append(s.Values, v)
		}
		t.Rows = append(t.Rows, cells)
		return s
	}
	var bars []series
	for _, g := range groups {
		bars = append(bars, row(g[0].Policy, g, func(c CategoryStat) float64 { return c.RecoveredAmountPct }))
	}
	row("oracle", world, func(c CategoryStat) float64 { return c.OracleAmountPct })
	labels := make([]string, len(cats))
	for i, c := range cats {
		labels[i] = string(c)
	}
	return section{Heading: "By decline category",
		Notes: []string{"Recovered amount % of each category's failed amount, by the failure's true category, mean over seeds. The oracle row is the most a compliant policy could have collected."},
		Table: t,
		Chart: &chart{File: "categories.svg", Alt: "Recovered amount % by decline category",
			SVG: barChart("Recovered amount by decline category", "% of failed amount", labels, bars)}}
}

func mechanismSection(groups [][]Summary) section {
	mechs := []Mechanism{ByRetry, ByCardUpdater, ByCustomerNewCard, ByCustomerPaid}
	var other []Mechanism
	recovered := false
	for _, g := range groups {
		for _, r := range g {
			recovered = recovered || len(r.ByMechanism) > 0
			for m := range r.ByMechanism {
				if !slices.Contains(mechs, m) && !slices.Contains(other, m) {
					other = append(other, m)
				}
			}
		}
	}
	slices.Sort(other)
	mechs = append(mechs, other...)
	heading := "By mechanism"
	if !recovered {
		return section{Heading: heading, Table: &table{}} // nothing recovered by any mechanism: left out
	}
	t := &table{Header: []string{"Policy"}}
	for _, m := range mechs {
		t.Header = append(t.Header, string(m)+" %")
	}
	for _, g := range groups {
		row := []string{g[0].Policy}
		for _, m := range mechs {
			// A mechanism missing from a run collected nothing in it.
			v, _ := meanBy(g, func(r Summary) (float64, bool) { return r.ByMechanism[m].AmountPct, true })
			row = append(row, num(v, 1))
		}
		t.Rows = append(t.Rows, row)
	}
	return section{Heading: heading,
		Notes: []string{"What brought the money in, as % of the failed amount, mean over seeds."}, Table: t}
}

func monthlySection(groups [][]Summary, world []Summary) section {
	var months []string
	for _, g := range groups {
		for _, r := range g {
			for _, m := range r.Monthly {
				if !slices.Contains(months, m.Month) {
					months = append(months, m.Month)
				}
			}
		}
	}
	slices.Sort(months)
	find := func(month string, f func(MonthStat) float64) func(Summary) (float64, bool) {
		return func(r Summary) (float64, bool) {
			for _, m := range r.Monthly {
				if m.Month == month {
					return f(m), true
				}
			}
			return 0, false
		}
	}
	t := &table{Header: []string{"Month", "Failed invoices"}}
	lines := make([]series, len(groups))
	for i, g := range groups {
		t.Header = append(t.Header, g[0].Policy+" %")
		lines[i].Name = g[0].Policy
	}
	t.Header = append(t.Header, "oracle %")
	for _, g := range groups {
		t.Header = append(t.Header, g[0].Policy+" retry success %")
	}
	for _, month := range months {
		v, ok := meanBy(world, find(month, func(m MonthStat) float64 { return float64(m.FailedInvoices) }))
		row := []string{month, orDash(v, ok, 0)}
		for i, g := range groups {
			v, ok := meanBy(g, find(month, func(m MonthStat) float64 { return m.RecoveredAmountPct }))
			row = append(row, orDash(v, ok, 1))
			if !ok {
				v = math.NaN()
			}
			lines[i].Values = append(lines[i].Values, v)
		}
		v, ok = meanBy(world, find(month, func(m MonthStat) float64 { return m.OracleAmountPct }))
		row = append(row, orDash(v, ok, 1))
		for _, g := range groups {
			v, ok := meanBy(g, find(month, func(m MonthStat) float64 { return m.RetrySuccessRate }))
			row = append(row, orDash(v, ok, 1))
		}
		t.Rows = append(t.Rows, row)
	}
	return section{Heading: "By month of first failure",
		Notes: []string{"Recovered amount % of the invoices that first failed in each month, and the share of recoup's charges on them that paid, mean over seeds: the learning curve of a policy that learns. Each run's month carries a standard error from the invoices that happened to fail in it (summary.json: recovered_amount_se, in points; a few large invoices hold most of the amount): two months differ by about that much with no change in the policy."},
		Table: t,
		Chart: &chart{File: "monthly.svg", Alt: "Recovered amount % by month of first failure",
			SVG: lineChart("Recovered amount by month of first failure", "month of first failure", "% of failed amount", months, lines)}}
}

// meanCurve is the mean over runs of Curve[d], for each d some run reaches.
func meanCurve(runs []Summary) []float64 {
	var out []float64
	for d := 0; ; d++ {
		v, ok := meanBy(runs, func(r Summary) (float64, bool) {
			if d < len(r.Curve) {
				return r.Curve[d], true
			}
			return 0, false
		})
		if !ok {
			return out
		}
		out = append(out, v)
	}
}

// meanBy is the mean of f over the runs for which it has a value.
func meanBy(runs []Summary, f func(Summary) (float64, bool)) (float64, bool) {
	var sum float64
	n := 0
	for _, r := range runs {
		if v, ok := f(r); ok {
			sum += v
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

func minMax(runs []Summary, f func(Summary) (float64, bool)) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range runs {
		if v, ok := f(r); ok {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return lo, hi
}

func seedList(seeds []uint64) string {
	if len(seeds) == 1 {
		return fmt.Sprintf("seed %d", seeds[0])
	}
	if len(seeds) > 10 {
		return fmt.Sprintf("%d seeds (%d … %d)", len(seeds), seeds[0], seeds[len(seeds)-1])
	}
	s := make([]string, len(seeds))
	for i, v := range seeds {
		s[i] = strconv.FormatUint(v, 10)
	}
	return fmt.Sprintf("%d seeds (%s)", len(seeds), strings.Join(s, ", "))
}

// num formats v with dec decimals and thousands separators: 12345.678 → "12,345.68".
func num(v float64, dec int) string { return svgchart.Num(v, dec) }

// signed is num with a "+" on positive values.
func signed(v float64, dec int) string {
	s := num(v, dec)
	if v > 0 && strings.Trim(s, "0.,") != "" {
		return "+" + s
	}
	return s
}

// pm formats an estimate as "42.1 ± 0.8", or "42.1" when it has no interval.
func pm(e Estimate, dec int) string {
	switch e.N {
	case 0:
		return "—"
	case 1:
		return num(e.Mean, dec)
	}
	return num(e.Mean, dec) + " ± " + num((e.High-e.Low)/2, dec)
}

// interval formats an estimate as "+2.0 [-0.5, +4.5]", so that its sign is plain.
func interval(e Estimate, dec int, sign bool) string {
	f := num
	if sign {
		f = signed
	}
	switch e.N {
	case 0:
		return "—"
	case 1:
		return f(e.Mean, dec)
	}
	return f(e.Mean, dec) + " [" + f(e.Low, dec) + ", " + f(e.High, dec) + "]"
}

func verdict(e Estimate) string {
	switch {
	case e.N == 0:
		return "no seed in common"
	case e.N == 1:
		return "one seed: no interval"
	case e.Low > 0:
		return "recovers more"
	case e.High < 0:
		return "recovers less"
	}
	return "no clear difference"
}

func orDash(v float64, ok bool, dec int) string {
	if !ok {
		return "—"
	}
	return num(v, dec)
}

// markdown renders the report as GitHub-flavoured Markdown; the charts are the SVG files
// written next to it.
func (r report) markdown() []byte {
	blocks := []string{"# " + mdText(r.Title), mdText(r.Subtitle)}
	for _, s := range r.Sections {
		blocks = append(blocks, "## "+mdText(s.Heading))
		for _, n := range s.Notes {
			blocks = append(blocks, mdText(n))
		}
		if t := s.Table; t != nil {
			var b strings.Builder
			row := func(cells []string) {
				for _, c := range cells {
					b.WriteString("| " + strings.ReplaceAll(mdText(c), "|", `\|`) + " ")
				}
				b.WriteString("|\n")
			}
			row(t.Header)
			for i := range t.Header {
				if i == 0 {
					b.WriteString("| --- ")
				} else {
					b.WriteString("| ---: ")
				}
			}
			b.WriteString("|\n")
			for _, cells := range t.Rows {
				row(cells)
			}
			blocks = append(blocks, strings.TrimSuffix(b.String(), "\n"))
		}
		if c := s.Chart; c != nil {
			blocks = append(blocks, "!["+mdText(c.Alt)+"]("+c.File+")")
		}
	}
	return []byte(strings.Join(blocks, "\n\n") + "\n")
}

// mdText keeps Markdown from reading a name as HTML.
var mdText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

var htmlReport = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;max-width:1280px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}
h2{font-size:1.15rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.25rem}
.sub{color:#555;margin-top:0}
.note{color:#666;font-size:.9rem;max-width:60rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:.5rem 0 1rem}
th,td{padding:.3rem .65rem;border-bottom:1px solid #e6e6e6;text-align:right;white-space:nowrap}
th{background:#f5f6f8;font-weight:600;vertical-align:bottom}
th:first-child,td:first-child{text-align:left}
tbody tr:hover{background:#fafbfc}
figure{margin:1rem 0}
svg{max-width:100%;height:auto}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="sub">{{.Subtitle}}</p>
{{range .Sections}}<section>
<h2>{{.Heading}}</h2>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}{{with .Table}}<div class="scroll"><table>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{end}}{{with .Chart}}<figure>{{.SVG}}</figure>
{{end}}</section>
{{end}}</body>
</html>
`))
