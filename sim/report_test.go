package sim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
)

var reportFiles = []string{"summary.json", "aggregate.json", "report.md", "report.html",
	"recovery-curve.svg", "categories.svg", "monthly.svg"}

// reportRuns runs the first policy at 40, 50 and 60% of the failed amount on seeds 1 to 3 and
// any second one at 42, 53 and 61%: paired differences of 2, 3 and 1 points.
func reportRuns(policies ...string) []Summary {
	pcts := [][]float64{{40, 50, 60}, {42, 53, 61}}
	var runs []Summary
	for s := range 3 {
		for i, p := range policies {
			runs = append(runs, reportRun(p, uint64(s+1), pcts[i%2][s]))
		}
	}
	return runs
}

func reportRun(policy string, seed uint64, pct float64) Summary {
	curve := make([]float64, 31)
	for d := range curve {
		curve[d] = pct * min(1, float64(d)/20)
	}
	return Summary{
		Policy: policy, PolicyVersion: "sha256:abc", World: "two-moods", Seed: seed, Months: 3, Currency: "EUR",
		FailedInvoices: 1000, FailedAmount: 50000, RecoveredInvoices: int(10 * pct), RecoveredAmount: 500 * pct,
		RecoveredCountPct: pct - 5, RecoveredAmountPct: pct,
		Attempts: 1200, AttemptsPerRecovery: 3, RetrySuccessRate: 33.3,
		MessagesSent: 800, MessagesPerRecovery: 2, MedianDaysToRecovery: 4.5, P90DaysToRecovery: 21,
		NetworkFees: 1234.5, CustomersLostToMessaging: 2,
		OracleRecoveredAmountPct: 80, RatioToOracle: pct / 80, RetryRecoveredAmountPct: 0.75 * pct,
		OracleRetryRecoveredAmountPct: 60, RatioToOracleRetry: 0.75 * pct / 60,
		Outcomes: map[Result]int{Recovered: int(10 * pct), Lost: 100, Unrecovered: 900 - int(10*pct)},
		ByMechanism: map[Mechanism]MechanismStat{
			ByRetry:        {Invoices: int(7.5 * pct), Amount: 375 * pct, AmountPct: 0.75 * pct},
			ByCustomerPaid: {Invoices: int(2.5 * pct), Amount: 125 * pct, AmountPct: 0.25 * pct},
		},
		Categories: []CategoryStat{
			{Category: recoup.CategoryFunds, FailedInvoices: 600, FailedAmount: 30000, RecoveredCountPct: pct, RecoveredAmountPct: pct + 10, OracleAmountPct: 90},
			{Category: recoup.CategoryCustomerFix, FailedInvoices: 400, FailedAmount: 20000, RecoveredCountPct: pct, RecoveredAmountPct: pct - 15, OracleAmountPct: 65},
		},
		Curve: curve,
		Monthly: []MonthStat{
			{Month: "2025-01", FailedInvoices: 330, RecoveredAmountPct: pct - 2, OracleAmountPct: 80},
			{Month: "2025-02", FailedInvoices: 340, RecoveredAmountPct: pct, OracleAmountPct: 80},
			{Month: "2025-03", FailedInvoices: 330, RecoveredAmountPct: pct + 2, OracleAmountPct: 80},
		},
	}
}

func writeReport(t *testing.T, runs []Summary, baseline string) string {
	t.Helper()
	dir := t.TempDir()
	if err := WriteReport(dir, runs, baseline); err != nil {
		t.Fatalf("WriteReport: %v", err)
	}
	return dir
}

func readReportFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReportFiguresInEveryFormat(t *testing.T) {
	dir := writeReport(t, reportRuns("fixed", "smart"), "fixed")
	for _, name := range reportFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	want := []string{
		"Recovery simulation: two-moods", "3 seeds (1, 2, 3)", "3 months", "1,000 failed invoices per run",
		"fixed (baseline)", "smart",
		"50.0 ± 24.8",       // fixed recovered amount %: 40, 50, 60
		"52.0 ± 23.7",       // smart: 42, 53, 61
		"1,234.50 ± 0.00",   // fees, the same on every seed
		"+2.0 [-0.5, +4.5]", // smart - fixed: 2, 3, 1 points
		"no clear difference",
		"funds (60% of amount)", "customer_fix (40% of amount)", "2025-02",
	}
	md := readReportFile(t, dir, "report.md")
	page := html.UnescapeString(readReportFile(t, dir, "report.html")) // html/template writes "+" as "&#43;"
	for _, w := range want {
		if !strings.Contains(md, w) {
			t.Errorf("report.md lacks %q", w)
		}
		if !strings.Contains(page, w) {
			t.Errorf("report.html lacks %q", w)
		}
	}
	for _, svg := range []string{"recovery-curve.svg", "categories.svg", "monthly.svg"} {
		if !strings.Contains(md, "]("+svg+")") {
			t.Errorf("report.md does not embed %s", svg)
		}
		if !strings.Contains(page, readReportFile(t, dir, svg)) {
			t.Errorf("report.html does not inline %s", svg)
		}
	}

	var agg struct {
		Policies    []PolicyAggregate `json:"policies"`
		Differences []Difference      `json:"differences"`
	}
	if err := json.Unmarshal([]byte(readReportFile(t, dir, "aggregate.json")), &agg); err != nil {
		t.Fatalf("aggregate.json: %v", err)
	}
	if len(agg.Policies) != 2 || agg.Policies[1].Policy != "smart" || agg.Policies[1].RecoveredAmountPct.Mean != 52 {
		t.Errorf("aggregate.json policies = %+v", agg.Policies)
	}
	if len(agg.Differences) != 1 || agg.Differences[0].Policy != "smart" || agg.Differences[0].RecoveredAmountPct.Mean != 2 {
		t.Errorf("aggregate.json differences = %+v", agg.Differences)
	}
}

func TestReportOneSeed(t *testing.T) {
	dir := writeReport(t, reportRuns("fixed", "smart")[:2], "")
	md := readReportFile(t, dir, "report.md")
	for _, w := range []string{"seed 1", "One seed per policy", "| fixed | 40.0 | 35.0 | 1,200 |"} {
		if !strings.Contains(md, w) {
			t.Errorf("report.md lacks %q", w)
		}
	}
	if strings.Contains(md, "±") || strings.Contains(md, "Against") {
		t.Errorf("report.md of one seed without a baseline shows an interval or differences:\n%s", md)
	}
	if agg := readReportFile(t, dir, "aggregate.json"); !strings.Contains(agg, `"differences": []`) {
		t.Errorf("aggregate.json without a baseline: differences not an empty array:\n%s", agg)
	}
}

func TestReportSummaryJSON(t *testing.T) {
	runs := reportRuns("fixed", "smart")
	dir := writeReport(t, runs, "fixed")
	raw := readReportFile(t, dir, "summary.json")
	if !strings.HasSuffix(raw, "}\n]\n") || !strings.HasPrefix(raw, "[\n  {\n    \"policy\": \"fixed\"") {
		t.Errorf("summary.json is not an indented array with a trailing newline:\n%.200s", raw)
	}
	var back []Summary
	if err := json.Unmarshal([]byte(raw), &back); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	if !reflect.DeepEqual(back, runs) {
		t.Errorf("summary.json does not round-trip:\ngot  %+v\nwant %+v", back[0], runs[0])
	}

	again := writeReport(t, reportRuns("fixed", "smart"), "fixed")
	for _, name := range reportFiles {
		if a, b := readReportFile(t, dir, name), readReportFile(t, again, name); a != b {
			t.Errorf("%s differs between two reports of the same runs", name)
		}
	}
}

func TestReportSVG(t *testing.T) {
	dir := writeReport(t, reportRuns("fixed", "smart"), "fixed")
	tests := []struct {
		file, element, class string
		want                 int
	}{
		{"recovery-curve.svg", "path", "line", 2},
		{"monthly.svg", "path", "line", 2},
		{"categories.svg", "rect", "bar", 4}, // two policies × two categories
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			counts, texts := parseSVG(t, readReportFile(t, dir, tt.file))
			if got := counts[tt.element+"."+tt.class]; got != tt.want {
				t.Errorf("%d %s.%s, want %d", got, tt.element, tt.class, tt.want)
			}
			for _, p := range []string{"fixed", "smart"} {
				if !strings.Contains(texts, p) {
					t.Errorf("no legend for %s in %q", p, texts)
				}
			}
		})
	}
}

func TestReportEscapesNames(t *testing.T) {
	evil := `<script>alert("x")</script>`
	runs := reportRuns("fixed", evil)
	dir := writeReport(t, runs, "fixed")
	page := readReportFile(t, dir, "report.html")
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Errorf("report.html holds a raw <script>")
	}
	if !strings.Contains(page, "&lt;script&gt;") {
		t.Errorf("report.html lacks the escaped policy name")
	}
	if md := readReportFile(t, dir, "report.md"); strings.Contains(md, "<script") || !strings.Contains(md, "&lt;script&gt;") {
		t.Errorf("report.md does not escape the policy name")
	}
	for _, svg := range []string{"recovery-curve.svg", "categories.svg", "monthly.svg"} {
		if _, texts := parseSVG(t, readReportFile(t, dir, svg)); !strings.Contains(texts, evil) {
			t.Errorf("%s: the policy name does not read back as text", svg)
		}
	}
	var back []Summary
	if err := json.Unmarshal([]byte(readReportFile(t, dir, "summary.json")), &back); err != nil || back[1].Policy != evil {
		t.Errorf("summary.json: policy %q, error %v", back[1].Policy, err)
	}
}

func TestWriteReportRefuses(t *testing.T) {
	otherWorld := reportRuns("fixed", "smart")
	otherWorld[3].World = "calm"
	tests := []struct {
		name     string
		runs     []Summary
		baseline string
		want     string
	}{
		{"no runs", nil, "", "no runs"},
		{"several worlds", otherWorld, "fixed", "several worlds"},
		{"a seed twice", append(reportRuns("fixed"), reportRun("fixed", 2, 50)), "", "seed 2 twice"},
		{"unknown baseline", reportRuns("fixed", "smart"), "stripe", `baseline "stripe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			err := WriteReport(dir, tt.runs, tt.baseline)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("WriteReport error = %v, want one saying %q", err, tt.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("WriteReport wrote %s anyway", dir)
			}
		})
	}
}

func TestReportNumbers(t *testing.T) {
	three := Estimate{Mean: 42.14, Low: 41.3, High: 42.98, N: 3}
	tests := []struct {
		got, want string
	}{
		{num(12345.678, 2), "12,345.68"},
		{num(999.996, 2), "1,000.00"},
		{num(-1234567, 0), "-1,234,567"},
		{num(-0.04, 1), "0.0"},
		{num(42, 1), "42.0"},
		{signed(2, 1), "+2.0"},
		{signed(-0.5, 1), "-0.5"},
		{signed(0.01, 1), "0.0"},
		{pm(three, 1), "42.1 ± 0.8"},
		{pm(Estimate{Mean: 7, Low: 7, High: 7, N: 1}, 1), "7.0"},
		{pm(Estimate{}, 1), "—"},
		{interval(three, 1, false), "42.1 [41.3, 43.0]"},
		{interval(Estimate{Mean: 2, Low: -0.48, High: 4.48, N: 3}, 1, true), "+2.0 [-0.5, +4.5]"},
		{verdict(Estimate{Mean: 2, Low: 0.5, High: 3.5, N: 3}), "recovers more"},
		{verdict(Estimate{Mean: -2, Low: -3.5, High: -0.5, N: 3}), "recovers less"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// parseSVG decodes an SVG to its end, failing on malformed XML, and returns how many elements
// of each "name.class" it holds and all its text.
func parseSVG(t *testing.T, svg string) (map[string]int, string) {
	t.Helper()
	counts := map[string]int{}
	var texts bytes.Buffer
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("malformed SVG: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Local == "svg" && tok.Name.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("svg element in namespace %q", tok.Name.Space)
			}
			for _, a := range tok.Attr {
				if a.Name.Local == "class" {
					counts[tok.Name.Local+"."+a.Value]++
				}
			}
		case xml.CharData:
			texts.Write(tok)
			texts.WriteByte('\n')
		}
	}
	return counts, texts.String()
}

func TestReportBareRuns(t *testing.T) {
	// No categories, mechanisms, curve or months: the report still renders, without the
	// sections (tables and charts) that would be empty.
	runs := []Summary{{Policy: "a", World: "w", Seed: 1}, {Policy: "b", World: "w", Seed: 1}}
	dir := writeReport(t, runs, "a")
	md := readReportFile(t, dir, "report.md")
	if !strings.Contains(md, "| b | 0.0 |") {
		t.Errorf("report.md lacks policy b's row:\n%s", md)
	}
	page := readReportFile(t, dir, "report.html")
	for _, heading := range []string{"Recovery over time", "By decline category", "By mechanism", "By month"} {
		if strings.Contains(md, "## "+heading) || strings.Contains(page, "<h2>"+heading) {
			t.Errorf("the report shows the empty section %q:\n%s", heading, md)
		}
	}
	for _, svg := range []string{"recovery-curve.svg", "categories.svg", "monthly.svg"} {
		if _, err := os.Stat(filepath.Join(dir, svg)); err == nil {
			t.Errorf("%s written for an empty chart", svg)
		}
	}
}

// Intervals over fewer than five seeds come with a warning; one seed (no interval) and five
// or more do not.
func TestReportWarnsOfFewSeeds(t *testing.T) {
	runsOver := func(seeds int) []Summary {
		var runs []Summary
		for s := range seeds {
			runs = append(runs, reportRun("fixed", uint64(s+1), 40+float64(s)), reportRun("smart", uint64(s+1), 43+float64(s%3)))
		}
		return runs
	}
	for _, tt := range []struct {
		seeds int
		want  string
	}{{1, ""}, {2, "2 seeds give a 95% interval 12.7 times"}, {3, "3 seeds give a 95% interval 4.3 times"}, {4, "--seeds 5"}, {5, ""}, {8, ""}} {
		md := readReportFile(t, writeReport(t, runsOver(tt.seeds), "fixed"), "report.md")
		got := strings.Contains(md, "Too few seeds")
		if got != (tt.want != "") || !strings.Contains(md, tt.want) {
			t.Errorf("%d seeds: warning = %v, want %q:\n%s", tt.seeds, got, tt.want, md[:min(len(md), 600)])
		}
	}
}

// A run that imported the account's past says so, with what it imported; one that did not has
// no such section.
func TestReportSaysThePastImported(t *testing.T) {
	runs := reportRuns("recoup", "fixed")
	if md := readReportFile(t, writeReport(t, runs, "fixed"), "report.md"); strings.Contains(md, "The account's past") {
		t.Fatalf("a report without history speaks of the past:\n%s", md)
	}
	for i := range runs {
		if runs[i].Policy == "recoup" {
			runs[i].History = &HistoryStat{Days: 365, ListedInvoices: 1210, ListedCharges: 5528, Invoices: 1210, Charges: 5528, Observations: 4000 + int(runs[i].Seed)}
		}
	}
	md := readReportFile(t, writeReport(t, runs, "fixed"), "report.md")
	if !strings.Contains(md, "The account's past") || !strings.Contains(md, "| recoup | 365 | 1,210 | 5,528 | 4,002 |") {
		t.Fatalf("report:\n%s", md)
	}
}
