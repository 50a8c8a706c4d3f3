package metrics

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/recoup-hq/recoup"
)

// exported returns every metric family recoup exports, with its label names (histograms with
// their _bucket, _sum and _count series and the le label).
func exported(t *testing.T) map[string][]string {
	t.Helper()
	m := New(countFunc(func(context.Context) (map[recoup.CaseState]int, error) {
		return map[recoup.CaseState]int{recoup.StateOpen: 1}, nil
	}))
	// Vectors export a family only once it has a child: record one of each.
	m.WebhookReceived()
	m.WebhookRejected(RejectBadSignature)
	m.WebhookDuplicate()
	m.EventProcessed("invoice.paid", "processed")
	m.AttemptFinished("succeeded")
	m.JobLag("act", time.Second)
	m.StripeError("api")
	m.StripeKey(false, 0)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, mf := range mfs {
		var labels []string
		if len(mf.GetMetric()) > 0 {
			for _, lp := range mf.GetMetric()[0].GetLabel() {
				labels = append(labels, lp.GetName())
			}
		}
		out[mf.GetName()] = labels
		if mf.GetType().String() == "HISTOGRAM" {
			out[mf.GetName()+"_bucket"] = append(slices.Clone(labels), "le")
			out[mf.GetName()+"_sum"] = labels
			out[mf.GetName()+"_count"] = labels
		}
	}
	return out
}

var (
	// metricName finds the metric names in PromQL: identifiers followed by a selector, a range
	// or the end of a term, that are not functions, keywords or label names.
	promIdent  = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	byClause   = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
	selector   = regexp.MustCompile(`\{([^}]*)\}`)
	labelMatch = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	// Prometheus adds these to every series it scrapes; up is Prometheus's own.
	targetLabels = []string{"job", "instance"}
	promQLWords  = map[string]bool{
		"sum": true, "by": true, "without": true, "rate": true, "increase": true, "max": true, "min": true, "avg": true,
		"histogram_quantile": true, "and": true, "or": true, "unless": true, "count": true, "label_values": true,
	}
)

// checkQuery reports the metrics a query names that recoup does not export, and the labels it
// uses that none of its metrics has.
func checkQuery(t *testing.T, where, q string, metrics map[string][]string) {
	t.Helper()
	// Drop strings, durations and Grafana variables before looking for names.
	clean := regexp.MustCompile(`"[^"]*"|\[[^\]]*\]|\$\w+`).ReplaceAllString(q, `""`)
	clean = selector.ReplaceAllStringFunc(clean, func(s string) string { return "{}" })
	clean = byClause.ReplaceAllString(clean, "")
	var names []string
	for _, id := range promIdent.FindAllString(clean, -1) {
		if promQLWords[id] || regexp.MustCompile(`^[0-9]`).MatchString(id) {
			continue
		}
		names = append(names, id)
	}
	if len(names) == 0 {
		t.Errorf("%s: no metric in %q", where, q)
	}
	labels := map[string]bool{"le": false}
	for _, l := range targetLabels {
		labels[l] = true
	}
	for _, n := range names {
		if n == "up" {
			continue
		}
		ls, ok := metrics[n]
		if !ok {
			t.Errorf("%s: %q names %s, which recoup does not export", where, q, n)
			continue
		}
		for _, l := range ls {
			labels[l] = true
		}
	}
	var used []string
	for _, m := range byClause.FindAllStringSubmatch(q, -1) {
		for _, l := range strings.Split(m[1], ",") {
			used = append(used, strings.TrimSpace(l))
		}
	}
	for _, m := range selector.FindAllStringSubmatch(q, -1) {
		for _, lm := range labelMatch.FindAllStringSubmatch(m[1], -1) {
			used = append(used, lm[1])
		}
	}
	for _, l := range used {
		if l != "" && !labels[l] {
			t.Errorf("%s: %q uses the label %s, which its metrics do not have", where, q, l)
		}
	}
}

// Every query of the Grafana dashboard names metrics and labels recoup exports.
func TestGrafanaDashboardQueries(t *testing.T) {
	metrics := exported(t)
	data, err := os.ReadFile("../docs/grafana/recoup-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			checkQuery(t, "panel "+p.Title, tg.Expr, metrics)
			n++
		}
	}
	for _, v := range dash.Templating.List {
		q, _ := v.Query.(string)
		if m := regexp.MustCompile(`^label_values\((\w+),\s*(\w+)\)$`).FindStringSubmatch(q); m != nil {
			checkQuery(t, "variable "+v.Name, m[1], metrics)
			if !slices.Contains(targetLabels, m[2]) && !slices.Contains(metrics[m[1]], m[2]) {
				t.Errorf("variable %s: %s has no label %s", v.Name, m[1], m[2])
			}
		} else if strings.HasPrefix(q, "label_values") {
			t.Errorf("variable %s: query %q not understood", v.Name, q)
		}
	}
	// Every family recoup exports is on the dashboard.
	for name := range metrics {
		if strings.HasPrefix(name, "recoup_") && !strings.Contains(string(data), name) &&
			!strings.Contains(string(data), strings.TrimSuffix(strings.TrimSuffix(name, "_sum"), "_count")+"_") {
			t.Errorf("recoup exports %s but the dashboard does not show it", name)
		}
	}
	if n < 10 {
		t.Errorf("%d queries: the dashboard lost its panels", n)
	}
}

// Every alerting rule's expression names metrics and labels recoup exports.
func TestAlertRulesQueries(t *testing.T) {
	metrics := exported(t)
	data, err := os.ReadFile("../docs/grafana/recoup-alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string            `yaml:"alert"`
				Expr  string            `yaml:"expr"`
				For   string            `yaml:"for"`
				Label map[string]string `yaml:"labels"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Label["severity"] == "" {
				t.Errorf("%s has no severity", r.Alert)
			}
			checkQuery(t, "alert "+r.Alert, r.Expr, metrics)
		}
	}
	for _, want := range []string{"RecoupWebhooksRejected", "RecoupStripeErrors", "RecoupJobLag"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no %s alert (have %v)", want, alerts)
		}
	}
}
