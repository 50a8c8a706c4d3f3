package svgchart

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct{ hi, step, top float64 }{
		{100, 20, 100}, {33.3, 10, 40}, {0, 0.2, 1}, {7, 2, 8}, {1234, 250, 1250},
	} {
		if step, top := niceScale(tc.hi); math.Abs(step-tc.step) > 1e-9 || math.Abs(top-tc.top) > 1e-9 {
			t.Errorf("niceScale(%v) = %v, %v; want %v, %v", tc.hi, step, top, tc.step, tc.top)
		}
	}
}

// A chart is well-formed SVG whose text is escaped, with a gap where a value is missing.
func TestChartsAreWellFormed(t *testing.T) {
	ss := []Series{{Name: "a <b> & c", Values: []float64{10, math.NaN(), 30}}}
	for name, svg := range map[string]string{
		"line": string(Line("t & u", "x", "y", []string{"1", "2", "3"}, ss)),
		"bar":  string(Bar("t & u", "y", []string{"<1>", "2", "3"}, ss)),
	} {
		d := xml.NewDecoder(strings.NewReader(svg))
		for {
			if _, err := d.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Errorf("%s chart: %v", name, err)
				}
				break
			}
		}
		if strings.Contains(svg, "NaN") {
			t.Errorf("%s chart draws a missing value", name)
		}
	}
}
