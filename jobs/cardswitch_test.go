package jobs

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/recoup-hq/recoup"
)

// Card switches: unique per case, refused without a case, read back as inserted.
func TestCardSwitchArgs(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sw := func(id int64) recoup.Job { return recoup.Job{Kind: recoup.JobCardSwitch, CaseID: id} }
	got, err := insertParams([]recoup.Job{sw(1), sw(2), sw(1)}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []river.JobArgs{cardSwitchArgs{1}, cardSwitchArgs{2}}
	if len(got) != len(want) {
		t.Fatalf("params %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Args != want[i] {
			t.Errorf("param %d = %+v, want %+v", i, got[i].Args, want[i])
		}
	}
	if _, err := insertParams([]recoup.Job{{Kind: recoup.JobCardSwitch}}, now); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("a card switch without a case: %v", err)
	}
	encoded, _ := json.Marshal(cardSwitchArgs{CaseID: 7})
	if j, err := jobOf(&rivertype.JobRow{Kind: string(recoup.JobCardSwitch), EncodedArgs: encoded}); err != nil || j != sw(7) {
		t.Errorf("jobOf(%s) = %+v, %v", encoded, j, err)
	}
}
