package jobs

import (
	"context"
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

// Card expiring checks: unique per customer, refused without one, read back as inserted.
func TestCardExpiringArgs(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ce := func(id string) recoup.Job { return recoup.Job{Kind: recoup.JobCardExpiring, CustomerID: id} }
	got, err := insertParams([]recoup.Job{ce("cus_1"), ce("cus_1"), ce("cus_2")}, now)
	if err != nil || len(got) != 2 || got[0].Args != (cardExpiringArgs{"cus_1"}) || got[1].Args != (cardExpiringArgs{"cus_2"}) {
		t.Fatalf("params %+v, %v", got, err)
	}
	if _, err := insertParams([]recoup.Job{{Kind: recoup.JobCardExpiring}}, now); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("a card expiring check without a customer: %v", err)
	}
	encoded, _ := json.Marshal(cardExpiringArgs{CustomerID: "cus_9"})
	if j, err := jobOf(&rivertype.JobRow{Kind: string(recoup.JobCardExpiring), EncodedArgs: encoded}); err != nil || j != ce("cus_9") {
		t.Errorf("jobOf(%s) = %+v, %v", encoded, j, err)
	}
}

// noticeRecorder is a recorder that also switches cards and sends card expiring notices.
type noticeRecorder struct{ recorder }

func (r *noticeRecorder) SwitchCard(ctx context.Context, now time.Time, caseID int64) error {
	return r.record(ctx, now, recoup.Job{Kind: recoup.JobCardSwitch, CaseID: caseID})
}

func (r *noticeRecorder) CardExpiringNotices(ctx context.Context, now time.Time, customerID string) error {
	return r.record(ctx, now, recoup.Job{Kind: recoup.JobCardExpiring, CustomerID: customerID})
}

// Through River on SQLite: both kinds reach their handler; a card expiring check that has
// completed does not block the next one for the same customer (River would keep it as a
// duplicate for a day otherwise), so a later event can still plan one.
func TestCardJobsRunThroughRiver(t *testing.T) {
	t.Parallel()
	db := sqliteDatabase(t)
	q := migrated(t, db, testConfig(t, &testClock{}))
	h := &noticeRecorder{}
	events := start(t, q, h)

	sw := recoup.Job{Kind: recoup.JobCardSwitch, CaseID: 3}
	insert(t, db, q, true, sw)
	waitFor(t, events, sw, Completed)
	ce := recoup.Job{Kind: recoup.JobCardExpiring, CustomerID: "cus_1"}
	insert(t, db, q, true, ce)
	waitFor(t, events, ce, Completed)
	insert(t, db, q, true, ce)
	waitFor(t, events, ce, Completed)
	if h.count(sw) != 1 || h.count(ce) != 2 {
		t.Fatalf("ran the switch %d times (want 1), the check %d times (want 2)", h.count(sw), h.count(ce))
	}
}
