package decline

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestDocsListEveryCode keeps docs/declines.md true to the tables: every code the engine knows
// must appear on the page as `code`.
func TestDocsListEveryCode(t *testing.T) {
	b, err := os.ReadFile("../docs/declines.md")
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	tables := map[string][]string{
		"declineCodes":  keys(declineCodes),
		"errorCodes":    keys(errorCodes),
		"visaCategory1": keys(visaCategory1),
		"macWait":       keys(macWait),
	}
	for _, name := range []string{"declineCodes", "errorCodes", "visaCategory1", "macWait"} {
		for _, k := range tables[name] {
			if !strings.Contains(page, "`"+k+"`") {
				t.Errorf("docs/declines.md does not mention %s key `%s`", name, k)
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
