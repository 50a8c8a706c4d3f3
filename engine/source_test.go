package engine_test

import (
	"encoding/json"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

// A source's note on the timeline is what encoding/json writes for it.
func TestSourceAppendsItsJSON(t *testing.T) {
	for _, s := range []engine.Source{{}, {EventID: "evt_1", EventType: "invoice.payment_failed"}, {EventType: "backfill <&> é\u2028\"\\"}} {
		want, err := json.Marshal(struct{ EventID, EventType string }{s.EventID, s.EventType})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.AppendJSON([]byte("x")); string(got) != "x"+string(want) {
			t.Errorf("%+v: %s, want %s", s, got, want)
		}
		var e recoup.TimelineEntry
		if err := e.SetDetail(s); err != nil || string(e.Detail) != string(want) {
			t.Errorf("%+v: SetDetail gives %s, %v; want %s", s, e.Detail, err, want)
		}
	}
}
