package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/recoup-hq/recoup"
)

func TestInsertParams(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(j recoup.Job, runAt time.Time) recoup.Job {
		j.RunAt = runAt
		return j
	}
	scheduled := func(args river.JobArgs, runAt time.Time) river.InsertManyParams {
		return river.InsertManyParams{Args: args, InsertOpts: &river.InsertOpts{ScheduledAt: runAt}}
	}

	for _, tc := range []struct {
		name string
		jobs []recoup.Job
		want []river.InsertManyParams
	}{
		{
			name: "no RunAt is available at once",
			jobs: []recoup.Job{event("evt_1"), act(4, 2)},
			want: []river.InsertManyParams{
				{Args: processEventArgs{EventID: "evt_1"}},
				{Args: actArgs{CaseID: 4, Seq: 2}},
			},
		},
		{
			name: "message jobs, step 0 included",
			jobs: []recoup.Job{message(4, 0), message(4, 1), act(4, 1)},
			want: []river.InsertManyParams{
				{Args: messageArgs{CaseID: 4, Seq: 0}},
				{Args: messageArgs{CaseID: 4, Seq: 1}},
				{Args: actArgs{CaseID: 4, Seq: 1}},
			},
		},
		{
			name: "lifecycle jobs, unique per case and event",
			jobs: []recoup.Job{
				{Kind: recoup.JobLifecycle, CaseID: 4, Event: recoup.CaseOpened},
				{Kind: recoup.JobLifecycle, CaseID: 4, Event: recoup.CaseRecovered},
				{Kind: recoup.JobLifecycle, CaseID: 4, Event: recoup.CaseOpened},
			},
			want: []river.InsertManyParams{
				{Args: lifecycleArgs{CaseID: 4, Event: recoup.CaseOpened}},
				{Args: lifecycleArgs{CaseID: 4, Event: recoup.CaseRecovered}},
			},
		},
		{
			name: "RunAt not after now is available at once",
			jobs: []recoup.Job{at(act(4, 2), now), at(act(4, 3), now.Add(-time.Hour))},
			want: []river.InsertManyParams{{Args: actArgs{CaseID: 4, Seq: 2}}, {Args: actArgs{CaseID: 4, Seq: 3}}},
		},
		{
			name: "later RunAt is scheduled",
			jobs: []recoup.Job{at(act(4, 2), now.Add(time.Hour)), at(message(4, 0), now.Add(2*time.Hour))},
			want: []river.InsertManyParams{
				scheduled(actArgs{CaseID: 4, Seq: 2}, now.Add(time.Hour)),
				scheduled(messageArgs{CaseID: 4, Seq: 0}, now.Add(2*time.Hour)),
			},
		},
		{
			name: "duplicates keep the first",
			jobs: []recoup.Job{
				at(act(4, 2), now.Add(time.Hour)), event("evt_1"), act(4, 2), event("evt_1"), act(4, 3),
				message(4, 0), at(message(4, 0), now.Add(time.Hour)),
			},
			want: []river.InsertManyParams{
				scheduled(actArgs{CaseID: 4, Seq: 2}, now.Add(time.Hour)),
				{Args: processEventArgs{EventID: "evt_1"}},
				{Args: actArgs{CaseID: 4, Seq: 3}},
				{Args: messageArgs{CaseID: 4, Seq: 0}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := insertParams(tc.jobs, now)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("insertParams(%+v)\n got %+v\nwant %+v", tc.jobs, got, tc.want)
			}
		})
	}
}

func TestInsertParamsRefusesInvalidJobs(t *testing.T) {
	t.Parallel()
	for name, j := range map[string]recoup.Job{
		"unknown kind":                 {Kind: "charge", CaseID: 1, Seq: 1},
		"event without an ID":          {Kind: recoup.JobProcessEvent},
		"act without a case":           {Kind: recoup.JobAct, Seq: 1},
		"act without a seq":            {Kind: recoup.JobAct, CaseID: 1},
		"act with negative ids":        {Kind: recoup.JobAct, CaseID: -1, Seq: -1},
		"message without a case":       {Kind: recoup.JobMessage, Seq: 1},
		"message with a negative step": {Kind: recoup.JobMessage, CaseID: 1, Seq: -1},
		"lifecycle without an event":   {Kind: recoup.JobLifecycle, CaseID: 1},
		"lifecycle without a case":     {Kind: recoup.JobLifecycle, Event: recoup.CaseOpened},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := insertParams([]recoup.Job{event("evt_ok"), j}, time.Now())
			if recoup.ErrorCode(err) != recoup.EINVALID {
				t.Errorf("insertParams(%+v) error = %v, want %s", j, err, recoup.EINVALID)
			}
		})
	}
}

func TestJobOfReadsBackInsertedArgs(t *testing.T) {
	t.Parallel()
	for args, want := range map[river.JobArgs]recoup.Job{
		processEventArgs{EventID: "evt_1"}: event("evt_1"),
		actArgs{CaseID: 9, Seq: 3}:         act(9, 3),
		messageArgs{CaseID: 9, Seq: 0}:     message(9, 0),
		messageArgs{CaseID: 9, Seq: 2}:     message(9, 2),
		reconcileArgs{}:                    {Kind: KindReconcile},
	} {
		encoded, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jobOf(&rivertype.JobRow{Kind: args.Kind(), EncodedArgs: encoded})
		if err != nil || got != want {
			t.Errorf("jobOf(%s %s) = %+v, %v; want %+v", args.Kind(), encoded, got, err, want)
		}
	}
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	unavailable := recoup.Errorf(recoup.EUNAVAILABLE, "stripe is down")
	plain := errors.New("boom")
	for _, tc := range []struct {
		name       string
		err        error
		wantCancel bool
	}{
		{"invalid", recoup.Errorf(recoup.EINVALID, "bad"), true},
		{"not found", recoup.Errorf(recoup.ENOTFOUND, "no case"), true},
		{"wrapped not found", errors.Join(errors.New("act"), recoup.Errorf(recoup.ENOTFOUND, "no case")), true},
		{"unavailable", unavailable, false},
		{"conflict", recoup.Errorf(recoup.ECONFLICT, "stale"), false},
		{"plain", plain, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := verdict(tc.err, time.Now())
			var cancel *rivertype.JobCancelError
			if isCancel := errors.As(got, &cancel); isCancel != tc.wantCancel {
				t.Errorf("verdict(%v) = %v; cancel = %t, want %t", tc.err, got, isCancel, tc.wantCancel)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("verdict(%v) = %v, which does not wrap the handler's error", tc.err, got)
			}
		})
	}
	refused := recoup.Errorf(recoup.EUNAUTHORIZED, "stripe: HTTP 401")
	var wait *rivertype.JobSnoozeError
	if got := verdict(refused, time.Now()); !errors.As(got, &wait) || wait.Duration != CredentialsRetryAfter || !errors.Is(got, refused) {
		t.Errorf("verdict(%v) = %v, want a snooze of %s wrapping it", refused, got, CredentialsRetryAfter)
	}
	if err := verdict(nil, time.Now()); err != nil {
		t.Errorf("verdict(nil) = %v", err)
	}
	// A handler that asks to run later is snoozed until then, not retried or cancelled: the
	// same job keeps its unique key.
	now := time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC)
	got := verdict(fmt.Errorf("message 1 of case 2: %w", &recoup.RunLater{At: now.Add(9 * time.Hour)}), now)
	var snooze *rivertype.JobSnoozeError
	if !errors.As(got, &snooze) || snooze.Duration != 9*time.Hour {
		t.Errorf("verdict(RunLater 9h) = %#v, want a snooze of 9h", got)
	}
}
