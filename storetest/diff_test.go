package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func TestDiff(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	for _, tc := range []struct {
		name      string
		want, got any
		diff      string // a substring of the diff; "" for equal
	}{
		{"equal cases", fullCase("in_1"), fullCase("in_1"), ""},
		{"a field", recoup.Case{Attempts: 1}, recoup.Case{Attempts: 2}, ".Attempts: want 1, got 2"},
		{"a nested field", recoup.Case{NextAction: &recoup.Action{Seq: 1}}, recoup.Case{NextAction: &recoup.Action{Seq: 2}}, ".NextAction.Seq"},
		{"nil and non-nil pointers", recoup.Case{}, recoup.Case{LastDecline: &recoup.Decline{}}, ".LastDecline: want"},
		{"the same instant in two zones", at, at.In(time.FixedZone("X", 3600)), "want 2026-01-02T03:04:05.000006Z UTC"},
		{"the same instant in UTC", at, at.Add(0), ""},
		{"nil and empty slices", recoup.Event{}, recoup.Event{Changed: []string{}, Payload: []byte{}}, ""},
		{"slice lengths", []int64{1, 2}, []int64{1}, "want 2 elements, got 1"},
		{"raw JSON", json.RawMessage(`{"a":1}`), json.RawMessage(`{"a": 1}`), `want "{\"a\":1}"`},
		{"map values", map[string]int{"a": 1}, map[string]int{"a": 2}, "[a]: want 1, got 2"},
		{"missing map keys", map[string]int{"a": 1}, map[string]int{"b": 1}, "[a]: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := diff(tc.want, tc.got)
			switch {
			case tc.diff == "" && d != "":
				t.Fatalf("diff of equal values:\n%s", d)
			case tc.diff != "" && !strings.Contains(d, tc.diff):
				t.Fatalf("diff:\n%s\nwant it to contain %q", d, tc.diff)
			}
		})
	}
}
