package sim

import (
	"html/template"

	"github.com/recoup-hq/recoup/internal/svgchart"
)

// The report's charts are drawn by internal/svgchart, shared with the history report.

type series = svgchart.Series

func lineChart(title, xLabel, yLabel string, xLabels []string, ss []series) template.HTML {
	return svgchart.Line(title, xLabel, yLabel, xLabels, ss)
}

func barChart(title, yLabel string, groups []string, ss []series) template.HTML {
	return svgchart.Bar(title, yLabel, groups, ss)
}
