package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/recoup-hq/recoup"
)

// caseList is one page of GET /api/v1/cases. Next is the cursor of the following page, a
// string so that JavaScript clients do not round large ids; NextURL is the same page as a
// link. Both are absent on the last page.
type caseList struct {
	Cases   []recoup.Case `json:"cases"`
	Next    string        `json:"next,omitempty"`
	NextURL string        `json:"next_url,omitempty"`
}

// listCases answers GET /api/v1/cases?state=&limit=&before=, newest first.
func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := parseCaseFilter(q)
	if err != nil {
		return err
	}
	page, err := s.store.Cases(r.Context(), f)
	if err != nil {
		return fmt.Errorf("list cases: %w", err)
	}
	out := caseList{Cases: page.Cases}
	if out.Cases == nil {
		out.Cases = []recoup.Case{}
	}
	if page.Next != 0 {
		out.Next = strconv.FormatInt(page.Next, 10)
		next := url.Values{"before": {out.Next}}
		// Only what the client asked for is carried over: ids and enums, never customer data.
		if f.State != "" {
			next.Set("state", string(f.State))
		}
		if f.Limit != 0 {
			next.Set("limit", strconv.Itoa(f.Limit))
		}
		out.NextURL = r.URL.Path + "?" + next.Encode()
	}
	return writeJSON(w, http.StatusOK, out)
}

// parseCaseFilter reads the listing's query parameters. Each error names its parameter.
func parseCaseFilter(q url.Values) (recoup.CaseFilter, error) {
	var f recoup.CaseFilter
	if v := q.Get("state"); v != "" {
		f.State = recoup.CaseState(v)
		if !f.State.Valid() {
			return f, recoup.Errorf(recoup.EINVALID, "state: unknown case state %q", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > recoup.MaxCaseLimit {
			return f, recoup.Errorf(recoup.EINVALID, "limit: must be an integer from 1 to %d", recoup.MaxCaseLimit)
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		id, err := parseID(v)
		if err != nil {
			return f, recoup.Errorf(recoup.EINVALID, "before: must be a case id (a positive integer)")
		}
		f.Before = id
	}
	return f, nil
}

// caseDetail is the answer of GET /api/v1/cases/{id}: the case with its whole history.
type caseDetail struct {
	Case     recoup.Case            `json:"case"`
	Timeline []recoup.TimelineEntry `json:"timeline"`
	Attempts []recoup.Attempt       `json:"attempts"`
}

// getCase answers GET /api/v1/cases/{id}.
func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return recoup.Errorf(recoup.EINVALID, "id: must be a case id (a positive integer)")
	}
	// One snapshot: the state agrees with the timeline and attempts sent beside it.
	d, err := s.store.CaseDetail(r.Context(), id)
	if err != nil {
		return fmt.Errorf("get case %d: %w", id, err) // ENOTFOUND renders as 404
	}
	out := caseDetail{Case: d.Case, Timeline: []recoup.TimelineEntry{}, Attempts: []recoup.Attempt{}}
	if d.Timeline != nil {
		out.Timeline = d.Timeline
	}
	if d.Attempts != nil {
		out.Attempts = d.Attempts
	}
	return writeJSON(w, http.StatusOK, out)
}

// parseID parses a positive int64 id.
func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err == nil && id < 1 {
		err = strconv.ErrRange
	}
	return id, err
}
