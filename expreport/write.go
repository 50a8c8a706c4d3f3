package expreport

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/recoup-hq/recoup"
)

// Money writes an amount of minor units of the report's currency.
func (r *Report) Money(minor int64) string {
	return recoup.Money{Amount: minor, Currency: r.Currency}.String()
}

// State says in words where the experiment stands.
func (r *Report) State() string {
	e := r.Experiment
	switch {
	case !e.Ended():
		return fmt.Sprintf("running since %s", e.StartedAt.UTC().Format("2 Jan 2006"))
	case e.PromotedArm != "":
		return fmt.Sprintf("ended on %s by %s, arm %s promoted", e.EndedAt.UTC().Format("2 Jan 2006"), e.EndedBy, e.PromotedArm)
	}
	return fmt.Sprintf("ended on %s by %s, no arm promoted", e.EndedAt.UTC().Format("2 Jan 2006"), e.EndedBy)
}

// Progress says how many customers the figures count and how many wait, in words.
func (r *Report) Progress() string {
	s := fmt.Sprintf("%d customers with %d invoices counted (all resolved)", r.Customers, r.Invoices)
	if r.InProgress == 0 {
		return s + "; none in progress"
	}
	s += fmt.Sprintf("; %d still in progress", r.InProgress)
	if r.Waiting > 0 {
		s += fmt.Sprintf(", and %d resolved but assigned after the first customer in progress (%s, case %d), counted once that one is resolved",
			r.Waiting, r.CutOff.UTC().Format("2 Jan 2006 15:04 MST"), r.OldestCase)
	}
	return s
}

// Pct writes a percentage to one decimal.
func Pct(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// Span writes an interval "[a, b]" to one decimal, or "not yet" when it is not ready.
func Span(low, high float64, ready bool) string {
	if !ready {
		return "not yet"
	}
	return "[" + Pct(low) + ", " + Pct(high) + "]"
}

// Write prints the report for people.
func Write(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	ew.printf("Experiment %s: %s.\n", r.Experiment.Name, r.State())
	if r.Currency == "" {
		ew.printf("No case of the experiment yet.\n")
		return ew.err
	}
	ew.printf("Amounts in %s. %s.\n\n", strings.ToUpper(r.Currency), capitalize(r.Progress()))
	tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "arm\tcustomers\tinvoices\tfailed\trecovered\trecovered %\tinterval\trecovered invoices\tmedian days\tattempts\tmessages\tlost")
	for _, a := range r.Arms {
		name := a.Name
		if a.Control {
			name += " (control, Stripe)"
		} else if a.Baseline {
			name += " (baseline)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%d\n", name, a.Customers, a.Invoices, r.Money(a.Failed), r.Money(a.Recovered),
			Pct(a.RecoveredPct), Span(a.Recovery.Low, a.Recovery.High, a.Recovery.Ready), a.RecoveredInvoices, Pct(a.MedianDays), a.Attempts, a.Messages, a.Lost)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	ew.printf("\n")
	if up := r.Uplift; up != nil {
		ew.printf("Uplift of %s over %s: %s pp of the failed amount\n", up.Treatment, up.Baseline, signed(up.Value))
		unit := " pp"
		if !up.Ready {
			unit = ""
		}
		ew.printf("  interval valid however often it is read (confidence sequence, %g%%): %s%s\n", 100*(1-r.Alpha), Span(up.Low, up.High, up.Ready), unit)
		ew.printf("  classical interval (valid for one look at a size fixed in advance): %s%s\n", Span(up.FixedLow, up.FixedHigh, up.Ready), unit)
		ew.printf("Verdict: %s.\n", up.Verdict)
		if up.Needed != "" {
			ew.printf("Still needed: %s.\n", up.Needed)
		}
	}
	if up := r.Optimized; up != nil {
		ew.printf("The campaign that learns: the adapting arms together (%s) over the fixed arm %s: %s pp of the failed amount\n",
			strings.Join(r.Adapting, ", "), up.Baseline, signed(up.Value))
		unit := " pp"
		if !up.Ready {
			unit = ""
		}
		ew.printf("  interval valid however often it is read (confidence sequence, %g%%): %s%s\n", 100*(1-r.Alpha), Span(up.Low, up.High, up.Ready), unit)
		ew.printf("Verdict: %s.\n", up.Verdict)
	}
	ew.printf("Note: %s.\n", r.AttemptsNote)
	return ew.err
}

func signed(x float64) string {
	if x > 0 {
		return "+" + Pct(x)
	}
	return Pct(x)
}

// csvHeader is the CSV's columns, one row per arm.
var csvHeader = []string{"experiment", "currency", "arm", "control", "baseline", "customers", "invoices", "failed_amount", "recovered_amount",
	"recovered_amount_pct", "ci_low", "ci_high", "recovered_invoices", "median_days_to_recovery", "attempts", "messages", "customers_lost",
	"uplift_pp", "uplift_ci_low", "uplift_ci_high", "verdict"}

// WriteCSV writes one row per arm; amounts in minor units; the uplift columns on the
// treatment's row only; intervals empty until ready.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	for _, a := range r.Arms {
		lo, hi := "", ""
		if a.Recovery.Ready {
			lo, hi = f(a.Recovery.Low), f(a.Recovery.High)
		}
		up := []string{"", "", "", ""}
		if u := r.Uplift; u != nil && u.Treatment == a.Name {
			up = []string{f(u.Value), "", "", u.Verdict}
			if u.Ready {
				up[1], up[2] = f(u.Low), f(u.High)
			}
		}
		row := []string{r.Experiment.Name, r.Currency, a.Name, strconv.FormatBool(a.Control), strconv.FormatBool(a.Baseline),
			strconv.Itoa(a.Customers), strconv.Itoa(a.Invoices), strconv.FormatInt(a.Failed, 10), strconv.FormatInt(a.Recovered, 10),
			f(a.RecoveredPct), lo, hi, strconv.Itoa(a.RecoveredInvoices), f(a.MedianDays), strconv.Itoa(a.Attempts), strconv.Itoa(a.Messages), strconv.Itoa(a.Lost)}
		if err := cw.Write(append(row, up...)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
