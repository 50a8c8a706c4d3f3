package memstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/memstore"
	"github.com/recoup-hq/recoup/storetest"
)

// The memory store passes the conformance suite's part for what it implements.
func TestStore(t *testing.T) {
	storetest.RunCore(t, func(t *testing.T) storetest.Harness {
		jobs := &keptJobs{}
		return storetest.Harness{Store: memstore.New(jobs.enqueue), Jobs: jobs.committed}
	})
}

// keptJobs is the test enqueuer: it refuses storetest.KindRejected and otherwise keeps the
// jobs, which count as committed: the enqueuer runs last, and the commit does not fail after it.
type keptJobs struct {
	mu   sync.Mutex
	jobs []recoup.Job
}

func (k *keptJobs) enqueue(_ context.Context, jobs []recoup.Job) error {
	for _, j := range jobs {
		if j.Kind == storetest.KindRejected {
			return errors.New("test enqueuer: job rejected")
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, j := range jobs {
		if !j.RunAt.IsZero() { // as a job table stores it
			j.RunAt = time.UnixMicro(j.RunAt.UnixMicro()).UTC()
		}
		k.jobs = append(k.jobs, j)
	}
	return nil
}

func (k *keptJobs) committed() []recoup.Job {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]recoup.Job(nil), k.jobs...)
}
