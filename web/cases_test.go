package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// caseIDs returns the ids of a listing.
func caseIDs(cs []recoup.Case) []int64 {
	ids := []int64{}
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestListCasesQuery(t *testing.T) {
	for _, tc := range []struct {
		name     string
		query    string
		want     recoup.CaseFilter
		wantIDs  []int64
		wantNext string
		wantURL  string
	}{
		{name: "defaults", query: "", want: recoup.CaseFilter{},
			wantIDs: []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{name: "first page", query: "?limit=5", want: recoup.CaseFilter{Limit: 5},
			wantIDs: []int64{12, 11, 10, 9, 8}, wantNext: "8", wantURL: "/api/v1/cases?before=8&limit=5"},
		{name: "second page", query: "?limit=5&before=8", want: recoup.CaseFilter{Limit: 5, Before: 8},
			wantIDs: []int64{7, 6, 5, 4, 3}, wantNext: "3", wantURL: "/api/v1/cases?before=3&limit=5"},
		{name: "last page", query: "?limit=5&before=3", want: recoup.CaseFilter{Limit: 5, Before: 3},
			wantIDs: []int64{2, 1}},
		{name: "by state", query: "?state=open&limit=1", want: recoup.CaseFilter{State: recoup.StateOpen, Limit: 1},
			wantIDs: []int64{10}, wantNext: "10", wantURL: "/api/v1/cases?before=10&limit=1&state=open"},
		{name: "state without limit", query: "?state=scheduled&before=9", want: recoup.CaseFilter{State: recoup.StateScheduled, Before: 9},
			wantIDs: []int64{2}},
		{name: "largest page", query: "?limit=500", want: recoup.CaseFilter{Limit: 500},
			wantIDs: []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{name: "nothing matches", query: "?before=1", want: recoup.CaseFilter{Before: 1}, wantIDs: []int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.store.addCases(12) // states cycle through the 9 states: 1 and 10 are open, 2 and 11 scheduled, ...

			rec := e.get("/api/v1/cases"+tc.query, testToken)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
			}
			if len(e.store.filters) != 1 || e.store.filters[0] != tc.want {
				t.Errorf("store filters = %+v, want [%+v]", e.store.filters, tc.want)
			}
			got := decode[caseList](t, rec)
			if ids := caseIDs(got.Cases); !reflect.DeepEqual(ids, tc.wantIDs) {
				t.Errorf("ids = %v, want %v", ids, tc.wantIDs)
			}
			if got.Next != tc.wantNext || got.NextURL != tc.wantURL {
				t.Errorf("next = %q %q, want %q %q", got.Next, got.NextURL, tc.wantNext, tc.wantURL)
			}
		})
	}
}

func TestListCasesJSONShape(t *testing.T) {
	e := newEnv(t)
	rec := e.get("/api/v1/cases", testToken)
	// An empty listing is an empty array, and the cursor is absent rather than 0 or "".
	if got := strings.TrimSpace(rec.Body.String()); got != `{"cases":[]}` {
		t.Errorf("empty listing = %s", got)
	}

	e.store.addCases(3)
	rec = e.get("/api/v1/cases?limit=2", testToken)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["next"]) != `"2"` {
		t.Errorf(`next = %s, want the string "2"`, raw["next"])
	}
}

func TestListCasesInvalidQuery(t *testing.T) {
	for _, tc := range []struct {
		query string
		param string
	}{
		{"?state=lost", "state:"},
		{"?state=OPEN", "state:"},
		{"?limit=0", "limit:"},
		{"?limit=501", "limit:"},
		{"?limit=-3", "limit:"},
		{"?limit=ten", "limit:"},
		{"?before=0", "before:"},
		{"?before=-1", "before:"},
		{"?before=abc", "before:"},
		{"?before=99999999999999999999", "before:"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			e := newEnv(t)
			body := wantError(t, e.get("/api/v1/cases"+tc.query, testToken), http.StatusBadRequest, recoup.EINVALID)
			if !strings.HasPrefix(body.Error.Message, tc.param) {
				t.Errorf("message %q does not name the parameter %q", body.Error.Message, tc.param)
			}
			if len(e.store.filters) != 0 {
				t.Errorf("the store was queried with %+v", e.store.filters)
			}
		})
	}
}

func TestListCasesStoreDown(t *testing.T) {
	e := newEnv(t)
	e.store.err = recoup.Errorf(recoup.EUNAVAILABLE, "database unavailable")
	wantError(t, e.get("/api/v1/cases", testToken), http.StatusServiceUnavailable, recoup.EUNAVAILABLE)
}

func TestGetCase(t *testing.T) {
	e := newEnv(t)
	e.store.addCases(3)
	at := testNow.Add(-time.Hour)
	e.store.timeline[2] = []recoup.TimelineEntry{
		{ID: 1, CaseID: 2, At: at, Kind: recoup.EntryEvent, Summary: "invoice.payment_failed: insufficient_funds"},
		{ID: 2, CaseID: 2, At: at, Kind: recoup.EntryDecision, Summary: "retry on payday", Detail: json.RawMessage(`{"slot":"friday"}`)},
	}
	e.store.attempts[2] = []recoup.Attempt{
		{ID: 7, CaseID: 2, N: 1, Source: recoup.SourceStripe, Status: recoup.AttemptDeclined, StartedAt: at},
	}

	rec := e.get("/api/v1/cases/2", testToken)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body: %s", rec.Code, rec.Body)
	}
	got := decode[caseDetail](t, rec)
	if got.Case.ID != 2 || got.Case.InvoiceID != "in_2" || got.Case.State != recoup.StateScheduled {
		t.Errorf("case = %+v", got.Case)
	}
	if len(got.Timeline) != 2 || got.Timeline[1].Summary != "retry on payday" || string(got.Timeline[1].Detail) != `{"slot":"friday"}` {
		t.Errorf("timeline = %+v", got.Timeline)
	}
	if len(got.Attempts) != 1 || got.Attempts[0].ID != 7 || got.Attempts[0].Status != recoup.AttemptDeclined {
		t.Errorf("attempts = %+v", got.Attempts)
	}

	// A case with no history yet has empty arrays, not nulls.
	rec = e.get("/api/v1/cases/3", testToken)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["timeline"]) != "[]" || string(raw["attempts"]) != "[]" {
		t.Errorf("timeline = %s, attempts = %s, want []", raw["timeline"], raw["attempts"])
	}
}

func TestGetCaseErrors(t *testing.T) {
	e := newEnv(t)
	e.store.addCases(1)
	for _, tc := range []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/cases/404", http.StatusNotFound, recoup.ENOTFOUND},
		{"/api/v1/cases/abc", http.StatusBadRequest, recoup.EINVALID},
		{"/api/v1/cases/0", http.StatusBadRequest, recoup.EINVALID},
		{"/api/v1/cases/-1", http.StatusBadRequest, recoup.EINVALID},
		{"/api/v1/cases/1.5", http.StatusBadRequest, recoup.EINVALID},
		{"/api/v1/cases/99999999999999999999", http.StatusBadRequest, recoup.EINVALID},
	} {
		t.Run(tc.path, func(t *testing.T) {
			body := wantError(t, e.get(tc.path, testToken), tc.status, tc.code)
			if tc.status == http.StatusBadRequest && !strings.HasPrefix(body.Error.Message, "id:") {
				t.Errorf("message %q does not name the parameter", body.Error.Message)
			}
		})
	}
}
