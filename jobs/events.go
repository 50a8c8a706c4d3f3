package jobs

import (
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/recoup-hq/recoup"
)

// Outcome is how an attempt at a job ended.
type Outcome string

// Outcomes.
const (
	Completed Outcome = "completed" // the handler returned nil
	Retrying  Outcome = "retrying"  // the handler failed; River will try again
	Discarded Outcome = "discarded" // the handler failed on the last attempt
	Cancelled Outcome = "cancelled" // the handler's error was permanent (EINVALID, ENOTFOUND)
	Snoozed   Outcome = "snoozed"   // the job runs again later without spending an attempt
)

// Event reports the end of one attempt at a job run by this process.
type Event struct {
	JobID   int64
	Job     recoup.Job // RunAt is zero; Kind is KindReconcile for the reconciliation
	Attempt int
	Outcome Outcome
	Err     string // the attempt's error, unless Completed
}

// Subscribe returns the attempts this Queue's workers finish from now on, and a function to
// end the subscription. Like River's subscriptions, whose buffer it shares, it drops events
// when its reader falls 1000 behind. The channel is closed when the subscription ends or the
// Queue stops. Tests use it to wait for a job instead of sleeping.
func (q *Queue[TTx]) Subscribe() (<-chan Event, func()) {
	in, cancel := q.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled,
		river.EventKindJobSnoozed)
	out := make(chan Event)
	done := make(chan struct{})
	var once sync.Once
	end := func() {
		once.Do(func() {
			close(done)
			cancel()
		})
	}
	go func() {
		defer close(out)
		for e := range in {
			ev, ok := eventOf(e)
			if !ok {
				continue
			}
			select {
			case out <- ev:
			case <-done:
				return
			}
		}
	}()
	return out, end
}

// eventOf translates a River event; ok is false for kinds this package does not run.
func eventOf(e *river.Event) (ev Event, ok bool) {
	job, err := jobOf(e.Job)
	if err != nil {
		return ev, false
	}
	ev = Event{JobID: e.Job.ID, Job: job, Attempt: e.Job.Attempt}
	switch {
	case e.Kind == river.EventKindJobCompleted:
		ev.Outcome = Completed
	case e.Kind == river.EventKindJobCancelled:
		ev.Outcome = Cancelled
	case e.Kind == river.EventKindJobSnoozed:
		ev.Outcome = Snoozed
	case e.Job.State == rivertype.JobStateDiscarded:
		ev.Outcome = Discarded
	default:
		ev.Outcome = Retrying
	}
	if n := len(e.Job.Errors); n > 0 && ev.Outcome != Completed {
		ev.Err = e.Job.Errors[n-1].Error
	}
	return ev, true
}
