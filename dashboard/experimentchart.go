package dashboard

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/recoup-hq/recoup/expreport"
)

// pathChart is the uplift over time as an SVG drawn on the server: the confidence sequence as
// a band, the estimate as a line, and the zero line. x is customers counted, y percentage
// points.
type pathChart struct {
	Width, Height int
	Band          string // polygon points of the interval, "" before any interval
	Line          string // polyline points of the estimate
	ZeroY         float64
	Top, Bottom   string // the y axis' labels
	Last          string // the x axis' right label
	Label         string // what the chart shows, in words, for screen readers
}

const (
	chartW, chartH = 560, 220
	chartLeft      = 48 // room for the y labels
	chartPad       = 10
)

// upliftChart draws rep's path; nil when there is nothing to draw.
func upliftChart(rep *expreport.Report) *pathChart {
	if rep.Uplift == nil || len(rep.Path) < 2 {
		return nil
	}
	lo, hi := 0.0, 0.0
	for _, p := range rep.Path {
		lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		if p.Ready {
			lo, hi = math.Min(lo, p.Low), math.Max(hi, p.High)
		}
	}
	if hi-lo < 1 {
		hi, lo = hi+0.5, lo-0.5
	}
	n := rep.Path[len(rep.Path)-1].Customers
	x := func(c int) float64 { return chartLeft + float64(c)/float64(n)*float64(chartW-chartLeft-chartPad) }
	y := func(v float64) float64 { return chartPad + (hi-v)/(hi-lo)*float64(chartH-2*chartPad) }
	pt := func(c int, v float64) string { return f1(x(c)) + "," + f1(y(v)) }
	var line, upper, lower []string
	for _, p := range rep.Path {
		line = append(line, pt(p.Customers, p.Value))
		if p.Ready {
			upper = append(upper, pt(p.Customers, p.High))
			lower = append([]string{pt(p.Customers, p.Low)}, lower...)
		}
	}
	c := &pathChart{Width: chartW, Height: chartH, Line: strings.Join(line, " "), ZeroY: math.Round(y(0)*10) / 10,
		Top: expreport.Pct(hi) + " pp", Bottom: expreport.Pct(lo) + " pp", Last: strconv.Itoa(n) + " customers"}
	if len(upper) > 0 {
		c.Band = strings.Join(append(upper, lower...), " ")
	}
	last := rep.Path[len(rep.Path)-1]
	c.Label = fmt.Sprintf("Uplift of %s over %s as customers were counted: %s pp after %d customers", rep.Uplift.Treatment, rep.Uplift.Baseline, expreport.Pct(last.Value), n)
	if last.Ready {
		c.Label += fmt.Sprintf(", interval %s to %s pp", expreport.Pct(last.Low), expreport.Pct(last.High))
	}
	return c
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
