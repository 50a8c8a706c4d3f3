// Package svgchart draws the reports' charts as hand-written, self-contained SVG (no script,
// no external file): line and bar charts of percentages, 720×360, plot on the left and legend
// on the right. The simulator's report and the history report share it.
package svgchart

import (
	"encoding/xml"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Series is one named line, or one bar per group.
type Series struct {
	Name   string
	Values []float64 // one per x position; NaN where there is none
}

const (
	chartW, chartH                       = 720, 360
	padLeft, padRight, padTop, padBottom = 60, 170, 44, 60
	plotW, plotH                         = chartW - padLeft - padRight, chartH - padTop - padBottom
)

// Tableau 10: distinct, and readable on white.
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// Line draws one line per series over x = 0, 1, ...: a numeric axis, or, given xLabels,
// one labelled position per value.
func Line(title, xLabel, yLabel string, xLabels []string, ss []Series) template.HTML {
	n := 0
	for _, s := range ss {
		n = max(n, len(s.Values))
	}
	var b strings.Builder
	y := frame(&b, title, xLabel, yLabel, ss)
	var x func(i int) float64
	if xLabels != nil {
		x = func(i int) float64 { return padLeft + (float64(i)+0.5)*plotW/float64(max(n, 1)) }
		xTickLabels(&b, x, xLabels)
	} else {
		span := float64(max(n-1, 1))
		x = func(i int) float64 { return padLeft + float64(i)/span*plotW }
		step, _ := niceScale(span)
		for k := 0; float64(k)*step <= span+1e-9; k++ {
			v := float64(k) * step
			px := padLeft + v/span*plotW
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333"/>`+"\n", px, padTop+plotH, px, padTop+plotH+5)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#444">%s</text>`+"\n", px, padTop+plotH+18, tickLabel(v, step))
		}
	}
	for i, s := range ss {
		colour := palette[i%len(palette)]
		fmt.Fprintf(&b, `<path class="line" d="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"><title>%s</title></path>`+"\n",
			PathData(s.Values, x, y), colour, esc(s.Name))
		if n <= 24 { // few points: mark them, so a single month still shows
			for j, v := range s.Values {
				if !math.IsNaN(v) {
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s: %s%%</title></circle>`+"\n", x(j), y(v), colour, esc(s.Name), Num(v, 1))
				}
			}
		}
	}
	b.WriteString("</svg>\n")
	return template.HTML(b.String())
}

// Bar draws one group of bars per label, one bar per series in each group.
func Bar(title, yLabel string, groups []string, ss []Series) template.HTML {
	var b strings.Builder
	y := frame(&b, title, "", yLabel, ss)
	gw := float64(plotW) / float64(max(len(groups), 1))
	bw := gw * 0.8 / float64(max(len(ss), 1))
	xTickLabels(&b, func(i int) float64 { return padLeft + (float64(i)+0.5)*gw }, groups)
	for i, s := range ss {
		for g, v := range s.Values {
			if math.IsNaN(v) || g >= len(groups) {
				continue
			}
			top := y(v)
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s%%</title></rect>`+"\n",
				padLeft+float64(g)*gw+gw*0.1+float64(i)*bw, top, max(bw-1, 1), padTop+plotH-top, palette[i%len(palette)],
				esc(s.Name), esc(groups[g]), Num(v, 1))
		}
	}
	b.WriteString("</svg>\n")
	return template.HTML(b.String())
}

// frame opens the SVG and draws the title, the y axis with its grid, the x axis line and
// label, and the legend. It returns the y scale, from 0 to a round number above every value.
func frame(b *strings.Builder, title, xLabel, yLabel string, ss []Series) func(float64) float64 {
	top := 0.0
	for _, s := range ss {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				top = max(top, v)
			}
		}
	}
	step, top := niceScale(top)
	y := func(v float64) float64 { return padTop + plotH - v/top*plotH }
	font := `font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"`
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" %s>`+"\n",
		chartW, chartH, chartW, chartH, esc(title), font)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", chartW, chartH)
	fmt.Fprintf(b, `<text x="%d" y="26" font-size="16" font-weight="600" fill="#222">%s</text>`+"\n", padLeft, esc(title))
	for k := 0; float64(k)*step <= top+1e-9; k++ {
		v := float64(k) * step
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e8e8e8"/>`+"\n", padLeft, y(v), padLeft+plotW, y(v))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="#444">%s</text>`+"\n", padLeft-8, y(v)+4, tickLabel(v, step))
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", padLeft, padTop, padLeft, padTop+plotH)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", padLeft, padTop+plotH, padLeft+plotW, padTop+plotH)
	fmt.Fprintf(b, `<text transform="translate(16 %d) rotate(-90)" text-anchor="middle" font-size="12" fill="#444">%s</text>`+"\n", padTop+plotH/2, esc(yLabel))
	if xLabel != "" {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" font-size="12" fill="#444">%s</text>`+"\n", padLeft+plotW/2, padTop+plotH+42, esc(xLabel))
	}
	lx := chartW - padRight + 20
	for i, s := range ss {
		ly := padTop + 4 + 22*i
		name := []rune(s.Name)
		if len(name) > 20 {
			name = append(name[:19], '…')
		}
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="14" height="14" rx="2" fill="%s"/>`+"\n", lx, ly, palette[i%len(palette)])
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" fill="#222">%s<title>%s</title></text>`+"\n", lx+20, ly+11, esc(string(name)), esc(s.Name))
	}
	return y
}

// xTickLabels labels positions x(i), thinned to ten at most and slanted when they would collide.
func xTickLabels(b *strings.Builder, x func(int) float64, labels []string) {
	every := (len(labels) + 9) / 10
	room := float64(plotW) / float64(max(len(labels), 1)) * float64(max(every, 1))
	longest := 0
	for _, l := range labels {
		longest = max(longest, len([]rune(l)))
	}
	slant := float64(longest)*6.2 > room-6
	for i, l := range labels {
		if i%max(every, 1) != 0 {
			continue
		}
		px, py := x(i), padTop+plotH+18
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333"/>`+"\n", px, padTop+plotH, px, padTop+plotH+5)
		if slant {
			fmt.Fprintf(b, `<text transform="translate(%.1f %d) rotate(-25)" text-anchor="end" font-size="11" fill="#444">%s</text>`+"\n", px+4, py-2, esc(l))
		} else {
			fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#444">%s</text>`+"\n", px, py, esc(l))
		}
	}
}

// niceScale picks a tick step of 1, 2, 2.5 or 5 × 10^k giving about five ticks, and the first
// multiple of it at or above hi.
func niceScale(hi float64) (step, top float64) {
	if !(hi > 0) {
		hi = 1
	}
	raw := hi / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	return step, math.Ceil(hi/step-1e-9) * step
}

// tickLabel formats a tick with as many decimals as its step needs.
func tickLabel(v, step float64) string {
	dec := 0
	for s := step; math.Abs(s-math.Round(s)) > 1e-9 && dec < 6; s *= 10 {
		dec++
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// esc escapes text for SVG, in content and in attributes.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// Num formats v with dec decimals and thousands separators: 12345.678 → "12,345.68".
func Num(v float64, dec int) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', dec, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// PathData is the SVG path data of a line through values, the i-th at (x(i), y(value)); a NaN
// value breaks the line (the next point starts a new segment).
func PathData(values []float64, x func(int) float64, y func(float64) float64) string {
	var d strings.Builder
	move := true
	for i, v := range values {
		if math.IsNaN(v) {
			move = true
			continue
		}
		cmd := "L"
		if move {
			cmd, move = "M", false
		}
		fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, x(i), y(v))
	}
	return strings.TrimSpace(d.String())
}
