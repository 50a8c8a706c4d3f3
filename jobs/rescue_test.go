package jobs

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// riverRescueInterval is how often River v0.47's rescuer looks for stuck jobs on the leader
// (maintenance.JobRescuerIntervalDefault, not configurable); riverSchedulerInterval how often
// its scheduler makes a rescued job available again.
const (
	riverRescueInterval    = 30 * time.Second
	riverSchedulerInterval = 5 * time.Second
)

// restartBudget is the promise: an event acknowledged before a crash becomes a case within
// three minutes of the restart, however its job was interrupted.
const restartBudget = 3 * time.Minute

// The default rescue delay keeps the promise: a job killed just after it started is rescued
// at the first rescuer pass after DefaultRescueStuckAfter, and runs at the next scheduler
// tick; and it leaves a live job time to end after its timeout cancels it. (The restarted
// process becomes River's leader, and starts its rescuer, once the dead leader's lease of
// about 15 s runs out: well inside the two minutes.)
func TestDefaultRescueDelayFitsTheRestartBudget(t *testing.T) {
	t.Parallel()
	if worst := DefaultRescueStuckAfter + riverRescueInterval + riverSchedulerInterval; worst > restartBudget {
		t.Errorf("a killed job may wait %s, over the %s budget", worst, restartBudget)
	}
	if DefaultRescueStuckAfter < 2*DefaultJobTimeout {
		t.Errorf("DefaultRescueStuckAfter %s leaves a live job under a minute to end after its %s timeout",
			DefaultRescueStuckAfter, DefaultJobTimeout)
	}
}

// A job a killed process left running, as long ago as the budget allows for the rescuer's
// pass and the scheduler's tick still to come, is run again by the next process started on
// the database with the default configuration.
func TestJobLeftRunningByADeadProcessIsRescued(t *testing.T) {
	t.Parallel()
	db := sqliteFile(t)
	// The wall clock: River's rescuer measures a running job against time.Now.
	q, err := NewSQLite(db, Config{FetchPollInterval: 50 * time.Millisecond, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}

	// The row a dead process leaves: running, attempt 1, taken by a client that is gone.
	startedAt := time.Now().Add(-(restartBudget - riverRescueInterval - riverSchedulerInterval))
	stuck := event("evt_acknowledged_before_the_crash")
	args, err := json.Marshal(processEventArgs{EventID: stuck.EventID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = riversqlite.New(db).GetExecutor().JobInsertFull(t.Context(), &riverdriver.JobInsertFullParams{
		Attempt: 1, AttemptedAt: &startedAt, AttemptedBy: []string{"the-killed-process"},
		CreatedAt: &startedAt, ScheduledAt: &startedAt, EncodedArgs: args, Kind: string(stuck.Kind),
		MaxAttempts: MaxAttempts, Priority: 1, Queue: "default", State: rivertype.JobStateRunning,
	})
	if err != nil {
		t.Fatal(err)
	}

	h := &recorder{}
	events := start(t, q, h)

	if ev := waitFor(t, events, stuck, Completed); ev.Attempt != 2 || h.count(stuck) != 1 {
		t.Errorf("completed at attempt %d after %d runs here; want attempt 2 after 1 run", ev.Attempt, h.count(stuck))
	}
}
