package dashboard_test

import (
	"net/http"
	"testing"

	"github.com/recoup-hq/recoup"
)

// BenchmarkOverviewPage measures the overview page end to end on loopback HTTP (session
// lookup, the store's overview, template, charts) on the test's small store: what the page adds
// to the store's query, which sqlite's BenchmarkOverview measures on a million cases.
//
//	go test ./dashboard -run '^$' -bench OverviewPage
func BenchmarkOverviewPage(b *testing.B) {
	e := newEnv(b)
	c := e.as(recoup.RoleViewer)
	for b.Loop() {
		if status, _, _ := c.get("/ui/?days=30"); status != http.StatusOK {
			b.Fatalf("status %d", status)
		}
	}
}
