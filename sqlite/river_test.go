package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
)

// riverJob carries a recoup.Job as River job arguments.
type riverJob struct{ recoup.Job }

func (j riverJob) Kind() string { return string(j.Job.Kind) }

// TestRiverSharesTheWriter checks the setup the job queue relies on: River's SQLite driver on
// DB.SQL, its tables beside ours, and its jobs inserted inside store transactions under
// concurrency.
func TestRiverSharesTheWriter(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "river.db"))
	driver := riversqlite.New(db.SQL())
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(t.Context(), rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
	client, err := river.NewClient(driver, &river.Config{}) // insert-only
	if err != nil {
		t.Fatal(err)
	}
	s := sqlite.NewStore(db, func(ctx context.Context, tx *sql.Tx, jobs []recoup.Job) error {
		params := make([]river.InsertManyParams, len(jobs))
		for i, j := range jobs {
			params[i] = river.InsertManyParams{Args: riverJob{j}, InsertOpts: &river.InsertOpts{ScheduledAt: j.RunAt}}
		}
		_, err := client.InsertManyTx(ctx, tx, params)
		return err
	})

	const writers, rounds = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				errs <- s.Tx(t.Context(), func(tx recoup.Tx) error {
					ev := recoup.Event{ID: fmt.Sprintf("evt_%d_%d", w, r)}
					if _, err := tx.InsertEvent(&ev); err != nil {
						return err
					}
					return tx.Enqueue(recoup.Job{Kind: recoup.JobProcessEvent, EventID: ev.ID})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	res, err := client.JobList(t.Context(), river.NewJobListParams().Kinds(string(recoup.JobProcessEvent)).First(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != writers*rounds {
		t.Fatalf("%d River jobs, want %d", len(res.Jobs), writers*rounds)
	}
	if err := db.Ready(t.Context()); err != nil {
		t.Fatalf("Ready with River's tables beside ours: %v", err)
	}
}
