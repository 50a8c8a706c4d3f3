package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"

	"github.com/recoup-hq/recoup/internal/svgchart"
)

// trendChart is a time series drawn as inline SVG by the server: no script, so it keeps the
// dashboard's content security policy and prints as it shows. Each week's column carries a
// tooltip with its exact figures (the SVG title, shown on hover or a long press) and links to
// the week's cases. The legend is HTML, at the page's font size.
type trendChart struct {
	Title, Note string
	Legend      []legendItem
	SVG         template.HTML
}

type legendItem struct{ Name, Class string }

// trendSeries is one named series of a chart, one value per week; NaN where there is none.
type trendSeries struct {
	Name, Class string
	Values      []float64
}

// The chart's frame, in SVG units. On a phone the chart keeps at least 560 px (the page
// scrolls it sideways) so that its 12-unit text never renders below 10 px.
const (
	tcW, tcH                         = 640, 250
	tcLeft, tcRight, tcTop, tcBottom = 56, 12, 12, 30
	tcPlotW, tcPlotH                 = tcW - tcLeft - tcRight, tcH - tcTop - tcBottom
)

// stackedBars draws one column per week, its series stacked from the bottom. tips and hrefs
// (either may be nil) give each column's tooltip and link.
func stackedBars(labels []string, ss []trendSeries, tips, hrefs []string, yTick func(float64) string, whole bool) template.HTML {
	n := len(labels)
	var top float64
	for i := range n {
		var sum float64
		for _, s := range ss {
			if v := s.Values[i]; !math.IsNaN(v) {
				sum += v
			}
		}
		top = max(top, sum)
	}
	var b strings.Builder
	y := axes(&b, labels, top, yTick, whole)
	colW := float64(tcPlotW) / float64(max(n, 1))
	barW := max(1, colW*0.72)
	for i := range n {
		x := tcLeft + float64(i)*colW
		open, closeA := "<g>", "</g>"
		if hrefs != nil && hrefs[i] != "" {
			open, closeA = `<a href="`+html.EscapeString(hrefs[i])+`">`, "</a>"
		}
		b.WriteString(open)
		if tips != nil {
			fmt.Fprintf(&b, "<title>%s</title>", html.EscapeString(tips[i]))
		}
		// A transparent column makes the whole week hoverable, not only its bars.
		fmt.Fprintf(&b, `<rect class="hit" x="%.1f" y="%d" width="%.1f" height="%d"></rect>`, x, tcTop, colW, tcPlotH)
		base := 0.0
		for _, s := range ss {
			v := s.Values[i]
			if math.IsNaN(v) || v <= 0 {
				continue
			}
			y0, y1 := y(base), y(base+v)
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"></rect>`, s.Class, x+(colW-barW)/2, y1, barW, max(0.5, y0-y1))
			base += v
		}
		b.WriteString(closeA + "\n")
	}
	return svg(&b)
}

// lines draws each series as a line over the weeks, with a dot on each value; a NaN breaks the
// line. The axis runs from 0 to top.
func lines(labels []string, ss []trendSeries, tips []string, top float64, yTick func(float64) string) template.HTML {
	n := len(labels)
	var b strings.Builder
	y := axes(&b, labels, top, yTick, false)
	colW := float64(tcPlotW) / float64(max(n, 1))
	x := func(i int) float64 { return tcLeft + (float64(i)+0.5)*colW }
	for _, s := range ss {
		if d := svgchart.PathData(s.Values, x, y); d != "" {
			fmt.Fprintf(&b, `<path class="%s" d="%s"></path>`+"\n", s.Class, d)
		}
		for i, v := range s.Values {
			if !math.IsNaN(v) {
				fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="3"></circle>`, s.Class, x(i), y(v))
			}
		}
	}
	if tips != nil {
		for i := range n {
			fmt.Fprintf(&b, `<g><title>%s</title><rect class="hit" x="%.1f" y="%d" width="%.1f" height="%d"></rect></g>`,
				html.EscapeString(tips[i]), tcLeft+float64(i)*colW, tcTop, colW, tcPlotH)
		}
	}
	return svg(&b)
}

func svg(b *strings.Builder) template.HTML {
	// Every text in b was escaped where it was written; the rest are numbers and class names.
	return template.HTML(fmt.Sprintf(`<svg class="trend" viewBox="0 0 %d %d" role="img">`, tcW, tcH) + b.String() + `</svg>`)
}

// axes draws the y grid with its ticks up to a round top at or above hi, and a label under
// every few weeks; it returns the y position of a value.
func axes(b *strings.Builder, labels []string, hi float64, yTick func(float64) string, whole bool) func(float64) float64 {
	step, top := niceStep(hi)
	if whole && step < 1 {
		step, top = 1, max(1, math.Ceil(hi))
	}
	y := func(v float64) float64 { return tcTop + tcPlotH - v/top*tcPlotH }
	for v := 0.0; v <= top+step/2; v += step {
		fmt.Fprintf(b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"></line>`, tcLeft, tcW-tcRight, y(v), y(v))
		fmt.Fprintf(b, `<text class="tick" x="%d" y="%.1f" dy="4" text-anchor="end">%s</text>`+"\n", tcLeft-6, y(v), html.EscapeString(yTick(v)))
	}
	n := len(labels)
	every := max(1, (n+6)/7)
	colW := float64(tcPlotW) / float64(max(n, 1))
	for i, l := range labels {
		// Label the last week, and every few weeks back from it.
		if (n-1-i)%every != 0 {
			continue
		}
		fmt.Fprintf(b, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", tcLeft+(float64(i)+0.5)*colW, tcH-12, html.EscapeString(l))
	}
	return y
}

// niceStep picks a round step (1, 2 or 5 times a power of ten) that splits [0, hi] in about
// four, and the top of the axis, a multiple of it. An empty chart gets an axis to 1.
func niceStep(hi float64) (step, top float64) {
	if hi <= 0 || math.IsNaN(hi) {
		return 0.25, 1
	}
	raw := hi / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * p; step >= raw {
			break
		}
	}
	return step, math.Ceil(hi/step-1e-9) * step
}

// compact writes an axis value briefly: 950, 12k, 1.5M.
func compact(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return trimZero(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case a >= 1e3:
		return trimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
	}
	return trimZero(fmt.Sprintf("%.1f", v))
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }
