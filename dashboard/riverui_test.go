package dashboard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
)

// The River UI is served to admins only, and its writes must come from the same origin.
func TestRiverUIMount(t *testing.T) {
	var served []string
	e := newEnv(t, func(c *dashboard.Config) {
		c.RiverUI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served = append(served, r.Method+" "+r.URL.Path)
			w.WriteHeader(http.StatusOK)
		})
	})
	for _, rt := range e.dash.Routes() {
		if strings.Contains(rt.Path, "riverui") && rt.Role != recoup.RoleAdmin {
			t.Fatalf("%s %s needs %q, want admin", rt.Method, rt.Path, rt.Role)
		}
	}
	send := func(c *client, method, path string, header map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader("{}"))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	same := map[string]string{"Sec-Fetch-Site": "same-origin"}
	for _, tc := range []struct {
		name   string
		c      *client
		method string
		header map[string]string
		want   int
	}{
		{"anonymous", e.anonymous(), "GET", nil, http.StatusSeeOther},
		{"operator", e.as(recoup.RoleOperator), "GET", nil, http.StatusForbidden},
		{"admin", e.as(recoup.RoleAdmin), "GET", nil, http.StatusOK},
		{"admin write, same origin", e.as(recoup.RoleAdmin), "POST", same, http.StatusOK},
		{"admin write, same origin by Origin", e.as(recoup.RoleAdmin), "PUT", map[string]string{"Origin": e.srv.URL}, http.StatusOK},
		{"admin write, cross site", e.as(recoup.RoleAdmin), "PATCH", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": e.srv.URL}, http.StatusForbidden},
		{"admin write, no origin", e.as(recoup.RoleAdmin), "POST", nil, http.StatusForbidden},
		{"operator write", e.as(recoup.RoleOperator), "POST", same, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(served)
			if got := send(tc.c, tc.method, "/ui/riverui/api/jobs", tc.header); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
			if reached := len(served) > before; reached != (tc.want == http.StatusOK) {
				t.Fatalf("River UI reached: %v", reached)
			}
		})
	}
}
