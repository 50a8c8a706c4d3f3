package engine

import (
	"encoding/json"
	"testing"

	"github.com/recoup-hq/recoup"
)

// A transition's detail is what encoding/json writes for the map of its two states.
func TestStateDetailIsTheMapOfItsStates(t *testing.T) {
	for _, d := range []stateDetail{{recoup.StateOpen, recoup.StateRetrying}, {"", "a<b>&\"c\""}} {
		want, _ := json.Marshal(map[string]string{"from": string(d.from), "to": string(d.to)})
		var e recoup.TimelineEntry
		if err := e.SetDetail(d); err != nil || string(e.Detail) != string(want) {
			t.Errorf("%+v: %s, %v; want %s", d, e.Detail, err, want)
		}
	}
}
