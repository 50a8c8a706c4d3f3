package jobs

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/recoup-hq/recoup"
)

// Takeovers: unique per case, refused without a case, read back as inserted.
func TestTakeoverArgs(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	to := func(id int64) recoup.Job { return recoup.Job{Kind: recoup.JobTakeover, CaseID: id} }
	got, err := insertParams([]recoup.Job{to(1), to(2), to(1)}, now)
	if err != nil || len(got) != 2 || got[0].Args != (takeoverArgs{1}) || got[1].Args != (takeoverArgs{2}) {
		t.Fatalf("params %+v, %v", got, err)
	}
	if _, err := insertParams([]recoup.Job{{Kind: recoup.JobTakeover}}, now); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("a takeover without a case: %v", err)
	}
	encoded, _ := json.Marshal(takeoverArgs{CaseID: 7})
	if j, err := jobOf(&rivertype.JobRow{Kind: string(recoup.JobTakeover), EncodedArgs: encoded}); err != nil || j != to(7) {
		t.Errorf("jobOf(%s) = %+v, %v", encoded, j, err)
	}
}

// takeoverRecorder is a recorder that also takes invoices over.
type takeoverRecorder struct{ recorder }

func (r *takeoverRecorder) TakeOver(ctx context.Context, now time.Time, caseID int64) error {
	return r.record(ctx, now, recoup.Job{Kind: recoup.JobTakeover, CaseID: caseID})
}

// Through River on SQLite: a takeover reaches its handler; a handler that takes nothing over
// cancels the job.
func TestTakeoverRunsThroughRiver(t *testing.T) {
	t.Parallel()
	db := sqliteDatabase(t)
	q := migrated(t, db, testConfig(t, &testClock{}))
	h := &takeoverRecorder{}
	events := start(t, q, h)

	to := recoup.Job{Kind: recoup.JobTakeover, CaseID: 3}
	insert(t, db, q, true, to, to)
	waitFor(t, events, to, Completed)
	if n := h.count(to); n != 1 {
		t.Fatalf("ran the takeover %d times, want 1", n)
	}

	db2 := sqliteDatabase(t)
	q2 := migrated(t, db2, testConfig(t, &testClock{}))
	events2 := start(t, q2, &recorder{})
	insert(t, db2, q2, true, to)
	waitFor(t, events2, to, Cancelled)
}
