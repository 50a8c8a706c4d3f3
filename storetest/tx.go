package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func testTx(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("a failing callback rolls everything back", func(t *testing.T) {
		t.Parallel()
		h := newStore(t)
		s := h.Store
		existing := createCase(t, s, minimalCase("in_existing", "cus_1"))
		var created recoup.Case
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			created = minimalCase("in_rolled_back", "cus_1")
			if err := tx.CreateCase(&created); err != nil {
				return err
			}
			ev := newEvent("evt_rolled_back")
			if _, err := tx.InsertEvent(&ev); err != nil {
				return err
			}
			if err := tx.AppendTimeline(&recoup.TimelineEntry{CaseID: existing.ID, Kind: recoup.EntryEvent, Summary: "x"}); err != nil {
				return err
			}
			if err := tx.InsertAttempt(&recoup.Attempt{CaseID: existing.ID, N: 1, Source: recoup.SourceRecoup, Status: recoup.AttemptPending}); err != nil {
				return err
			}
			if err := tx.InsertMessage(&recoup.Message{CaseID: existing.ID, Channel: "email", Status: recoup.MessagePending}); err != nil {
				return err
			}
			upd := existing
			upd.State = recoup.StateScheduled
			if err := tx.UpdateCase(&upd); err != nil {
				return err
			}
			if err := tx.SetCursor("reconcile", "evt_rolled_back"); err != nil {
				return err
			}
			if err := tx.Enqueue(recoup.Job{Kind: recoup.JobProcessEvent, EventID: "evt_rolled_back"}); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("Tx returned %v, want the callback's error", err)
		}
		wantNoTrace(t, h, existing, created.ID)
	})

	t.Run("a failing enqueue hook rolls everything back", func(t *testing.T) {
		t.Parallel()
		h := newStore(t)
		s := h.Store
		existing := createCase(t, s, minimalCase("in_existing", "cus_1"))
		var created recoup.Case
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			created = minimalCase("in_rolled_back", "cus_1")
			if err := tx.CreateCase(&created); err != nil {
				return err
			}
			if err := tx.SetCursor("reconcile", "evt_rolled_back"); err != nil {
				return err
			}
			return tx.Enqueue(
				recoup.Job{Kind: recoup.JobAct, CaseID: existing.ID, Seq: 1},
				recoup.Job{Kind: KindRejected},
			)
		})
		if err == nil {
			t.Fatal("Tx succeeded although the enqueue hook failed")
		}
		wantNoTrace(t, h, existing, created.ID)
	})

	t.Run("committed jobs reach the hook with their fields", func(t *testing.T) {
		t.Parallel()
		h := newStore(t)
		jobs := []recoup.Job{
			{Kind: recoup.JobProcessEvent, EventID: "evt_1"},
			{Kind: recoup.JobAct, CaseID: 42, Seq: 3, RunAt: base.Add(72 * time.Hour)},
			{Kind: recoup.JobMessage, CaseID: 42, Seq: 0, RunAt: base.Add(24 * time.Hour)}, // step 0 is the first
		}
		mustTx(t, h.Store, func(tx recoup.Tx) error {
			if err := tx.Enqueue(jobs[0]); err != nil {
				return err
			}
			return tx.Enqueue(jobs[1:]...)
		})
		mustTx(t, h.Store, func(tx recoup.Tx) error { return nil }) // no jobs: the hook may not run
		more := recoup.Job{Kind: recoup.JobProcessEvent, EventID: "evt_2"}
		mustTx(t, h.Store, func(tx recoup.Tx) error { return tx.Enqueue(more) })

		want := append(jobs, more)
		for i := range want {
			want[i].RunAt = stored(want[i].RunAt)
		}
		wantEqual(t, "jobs", want, h.Jobs())
	})

	t.Run("a job without a kind is refused", func(t *testing.T) {
		t.Parallel()
		h := newStore(t)
		err := h.Store.Tx(t.Context(), func(tx recoup.Tx) error { return tx.Enqueue(recoup.Job{CaseID: 1}) })
		wantCode(t, err, recoup.EINVALID)
		if jobs := h.Jobs(); len(jobs) != 0 {
			t.Fatalf("jobs: %+v", jobs)
		}
	})

	t.Run("cursors read empty until set and are overwritten", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		mustTx(t, s, func(tx recoup.Tx) error {
			v, err := tx.Cursor("reconcile")
			if err != nil || v != "" {
				t.Errorf(`unset Cursor: %q, %v; want "", nil`, v, err)
			}
			if err := tx.SetCursor("reconcile", "evt_1"); err != nil {
				return err
			}
			return tx.SetCursor("other", "x")
		})
		mustTx(t, s, func(tx recoup.Tx) error { return tx.SetCursor("reconcile", "evt_2") })
		mustTx(t, s, func(tx recoup.Tx) error {
			for name, want := range map[string]string{"reconcile": "evt_2", "other": "x"} {
				v, err := tx.Cursor(name)
				if err != nil {
					return err
				}
				if v != want {
					t.Errorf("Cursor(%q) = %q, want %q", name, v, want)
				}
			}
			return nil
		})
	})

	t.Run("concurrent updates of one case lose nothing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_race", "cus_1"))
		const writers, rounds = 8, 5
		var (
			mu        sync.Mutex
			committed int
			wg        sync.WaitGroup
		)
		errs := make(chan error, writers*rounds)
		for range writers {
			wg.Go(func() {
				for range rounds {
					err := s.Tx(t.Context(), func(tx recoup.Tx) error {
						cur, err := tx.Case(c.ID)
						if err != nil {
							return err
						}
						cur.Attempts++
						if err := tx.UpdateCase(&cur); err != nil {
							return err
						}
						return tx.AppendTimeline(&recoup.TimelineEntry{CaseID: c.ID, Kind: recoup.EntryAttempt, Summary: "+1"})
					})
					switch recoup.ErrorCode(err) {
					case "":
						mu.Lock()
						committed++
						mu.Unlock()
					case recoup.ECONFLICT: // lost the optimistic race: allowed, and must leave no trace
					default:
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Tx: %v", err)
		}
		t.Logf("%d of %d transactions committed", committed, writers*rounds)
		got := readCase(t, s, c.ID)
		if committed == 0 || got.Attempts != committed || got.Version != int64(1+committed) {
			t.Fatalf("%d transactions committed; the case has Attempts %d, Version %d", committed, got.Attempts, got.Version)
		}
		tl, err := s.Timeline(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tl) != committed {
			t.Fatalf("%d transactions committed; the timeline has %d entries", committed, len(tl))
		}
	})

	t.Run("ready after migration, not before", func(t *testing.T) {
		t.Parallel()
		h := newStore(t)
		if err := h.Store.Ready(t.Context()); err != nil {
			t.Fatalf("Ready of a migrated store: %v", err)
		}
		if h.Unmigrated == nil {
			t.Skip("the harness has no unmigrated store")
		}
		err := h.Unmigrated(t).Ready(t.Context())
		if err == nil {
			t.Fatal("Ready of an unmigrated store returned nil")
		}
		wantCode(t, err, recoup.EUNAVAILABLE)
	})
}

// wantNoTrace fails the test if a rolled-back transaction left anything: the case it created,
// changes to existing, its timeline, attempts or messages, an event, a cursor, or jobs.
func wantNoTrace(t *testing.T, h Harness, existing recoup.Case, createdID int64) {
	t.Helper()
	s := h.Store
	if _, err := s.Event(t.Context(), "evt_rolled_back"); !recoup.IsNotFound(err) {
		t.Errorf("event after rollback: %v, want not found", err)
	}
	if createdID != 0 {
		if _, err := s.Case(t.Context(), createdID); !recoup.IsNotFound(err) {
			t.Errorf("created case after rollback: %v, want not found", err)
		}
	}
	wantEqual(t, "existing case", storedCase(existing), readCase(t, s, existing.ID))
	if tl, err := s.Timeline(t.Context(), existing.ID); err != nil || len(tl) != 0 {
		t.Errorf("timeline after rollback: %v, %v", tl, err)
	}
	if at, err := s.Attempts(t.Context(), existing.ID); err != nil || len(at) != 0 {
		t.Errorf("attempts after rollback: %v, %v", at, err)
	}
	if ms, err := s.Messages(t.Context(), existing.ID); err != nil || len(ms) != 0 {
		t.Errorf("messages after rollback: %v, %v", ms, err)
	}
	mustTx(t, s, func(tx recoup.Tx) error {
		if v, err := tx.Cursor("reconcile"); err != nil || v != "" {
			t.Errorf("cursor after rollback: %q, %v", v, err)
		}
		return nil
	})
	if jobs := h.Jobs(); len(jobs) != 0 {
		t.Errorf("jobs after rollback: %+v", jobs)
	}
	if page, err := s.Cases(t.Context(), recoup.CaseFilter{}); err != nil || len(page.Cases) != 1 {
		t.Errorf("cases after rollback: %d, %v; want only the existing one", len(page.Cases), err)
	}
}
