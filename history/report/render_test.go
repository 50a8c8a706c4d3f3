package report

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the reports as rendered")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the rendered report (go test -update rewrites it); got:\n%s", path, got)
	}
}

func sampleReport() Report {
	return Build(sample(), Options{From: t0.Add(-day), To: t0.Add(50 * day)})
}

func TestMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md", b.Bytes())
}

func TestHTMLGolden(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.html", b.Bytes())
	html := b.String()
	// Self-contained: no script, no stylesheet or image fetched.
	for _, bad := range []string{"<script", "<link", "src=", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("the page holds %q: it must be self-contained", bad)
		}
	}
	// Each chart is well-formed SVG.
	charts := strings.Count(html, "<svg ")
	if charts != 6 {
		t.Errorf("%d charts, want 6: by category, retry number, hour, weekday, days since the failure, time to recovery", charts)
	}
	for rest := html; strings.Contains(rest, "<svg "); {
		i := strings.Index(rest, "<svg ")
		j := strings.Index(rest[i:], "</svg>") + i + len("</svg>")
		d := xml.NewDecoder(strings.NewReader(rest[i:j]))
		for {
			if _, err := d.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Errorf("chart is not well-formed SVG: %v", err)
				}
				break
			}
		}
		rest = rest[j:]
	}
}

// Every format says what the history cannot tell, in words.
func TestCaveatsInEveryFormat(t *testing.T) {
	var md, html bytes.Buffer
	r := sampleReport()
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&html, r); err != nil {
		t.Fatal(err)
	}
	for _, words := range []string{"What a different retry time would have done", "were not randomized", "Selection bias",
		"Base rates", "Where the money was lost", "broke a card network"} {
		if !strings.Contains(md.String(), words) {
			t.Errorf("Markdown does not say %q", words)
		}
		if !strings.Contains(html.String(), words) {
			t.Errorf("HTML does not say %q", words)
		}
	}
}

func TestEmptyPeriod(t *testing.T) {
	h := sample()
	h.Invoices, h.Charges = nil, nil
	r := Build(h, Options{From: t0, To: t0.Add(day)})
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No invoice's payment failed in the period") {
		t.Errorf("an empty period:\n%s", b.String())
	}
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
}

// A period that starts before the latest import's says its first days hold only what an
// earlier import read.
func TestPeriodBeforeTheImport(t *testing.T) {
	h := sample()
	for _, tc := range []struct {
		from time.Time
		warn bool
	}{{h.Import.Since.Add(-day), true}, {h.Import.Since, false}} {
		var b bytes.Buffer
		if err := Markdown(&b, Build(h, Options{From: tc.from, To: t0.Add(50 * day)})); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), "The period starts earlier"); got != tc.warn {
			t.Errorf("from %v, import since %v: warned %v, want %v", tc.from, h.Import.Since, got, tc.warn)
		}
	}
}
