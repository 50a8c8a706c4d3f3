package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/internal/pgtest"
	"github.com/recoup-hq/recoup/postgres"
)

func TestOpen(t *testing.T) {
	t.Run("a bad DSN is invalid and its password is not shown", func(t *testing.T) {
		_, err := postgres.Open(t.Context(), "postgres://u:s3cret@127.0.0.1:notaport/db")
		if recoup.ErrorCode(err) != recoup.EINVALID || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("Open: %v, want EINVALID without the password", err)
		}
	})

	t.Run("a database that does not answer is unavailable", func(t *testing.T) {
		_, err := postgres.Open(t.Context(), "postgres://u@127.0.0.1:1/db?connect_timeout=5")
		if recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
			t.Fatalf("Open: %v, want EUNAVAILABLE", err)
		}
	})

	t.Run("the pool holds 16 connections unless the DSN says", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		for _, c := range []struct {
			dsn  string
			want int32
		}{{dsn, 16}, {dsn + "&pool_max_conns=3", 3}} {
			db, err := postgres.Open(t.Context(), c.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if got := db.Pool().Config().MaxConns; got != c.want {
				t.Errorf("pool of %d connections, want %d", got, c.want)
			}
			db.Close()
		}
	})

	t.Run("a search_path without a schema is invalid", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		_, err := postgres.Open(t.Context(), strings.Replace(dsn, "search_path=", "search_path=nope_", 1))
		if recoup.ErrorCode(err) != recoup.EINVALID {
			t.Fatalf("Open: %v, want EINVALID", err)
		}
	})
}

func TestMigrateConcurrently(t *testing.T) {
	// Processes starting together migrate the same schema: goose's advisory lock serializes
	// them.
	dsn := pgtest.DSN(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				t.Error(err)
				return
			}
			defer db.Close()
			if err := db.Migrate(t.Context()); err != nil {
				t.Errorf("Migrate: %v", err)
			}
			if err := db.Ready(t.Context()); err != nil {
				t.Errorf("Ready: %v", err)
			}
		})
	}
	wg.Wait()
}

func TestTx(t *testing.T) {
	t.Run("reads of cases lock their rows", func(t *testing.T) {
		db := openDB(t)
		s := postgres.NewStore(db, nil)
		c := recoup.Case{InvoiceID: "in_1", CustomerID: "cus_1", State: recoup.StateOpen}
		if err := s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.CreateCase(&c) }); err != nil {
			t.Fatal(err)
		}
		for name, read := range map[string]func(tx recoup.Tx) error{
			"Case":          func(tx recoup.Tx) error { _, err := tx.Case(c.ID); return err },
			"CaseByInvoice": func(tx recoup.Tx) error { _, err := tx.CaseByInvoice("in_1"); return err },
			"OpenCases":     func(tx recoup.Tx) error { _, err := tx.OpenCases("cus_1", ""); return err },
		} {
			err := s.Tx(t.Context(), func(tx recoup.Tx) error {
				if err := read(tx); err != nil {
					return err
				}
				// Another connection must not get the row while this transaction holds it.
				_, err := db.Pool().Exec(t.Context(), `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE NOWAIT`, c.ID)
				var pgErr *pgconn.PgError
				if !(errors.As(err, &pgErr) && pgErr.Code == "55P03") {
					t.Errorf("%s: locking the case from another connection: %v, want lock_not_available", name, err)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	})

	t.Run("jobs without an enqueuer fail the transaction", func(t *testing.T) {
		s := postgres.NewStore(openDB(t), nil)
		var id int64
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			c := recoup.Case{InvoiceID: "in_1", State: recoup.StateOpen}
			if err := tx.CreateCase(&c); err != nil {
				return err
			}
			id = c.ID
			return tx.Enqueue(recoup.Job{Kind: recoup.JobAct, CaseID: c.ID})
		})
		if recoup.ErrorCode(err) != recoup.EINTERNAL {
			t.Fatalf("Tx: %v, want an EINTERNAL error", err)
		}
		if _, err := s.Case(t.Context(), id); !recoup.IsNotFound(err) {
			t.Fatalf("the case was committed: %v", err)
		}
	})
}

// riverJob carries a recoup.Job as River job arguments.
type riverJob struct{ recoup.Job }

func (j riverJob) Kind() string { return string(j.Job.Kind) }

// TestRiverSharesThePool checks the setup the job queue relies on: River's pgx driver on
// DB.Pool, its tables in the same schema as ours, its jobs inserted inside store transactions.
func TestRiverSharesThePool(t *testing.T) {
	db := openDB(t)
	driver := riverpgxv5.New(db.Pool())
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
	s := postgres.NewStore(db, func(ctx context.Context, tx pgx.Tx, jobs []recoup.Job) error {
		params := make([]river.InsertManyParams, len(jobs))
		for i, j := range jobs {
			params[i] = river.InsertManyParams{Args: riverJob{j}, InsertOpts: &river.InsertOpts{ScheduledAt: j.RunAt}}
		}
		_, err := client.InsertManyTx(ctx, tx, params)
		return err
	})
	err = s.Tx(t.Context(), func(tx recoup.Tx) error {
		ev := recoup.Event{ID: "evt_1"}
		if _, err := tx.InsertEvent(&ev); err != nil {
			return err
		}
		return tx.Enqueue(recoup.Job{Kind: recoup.JobProcessEvent, EventID: "evt_1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.JobList(t.Context(), river.NewJobListParams().Kinds(string(recoup.JobProcessEvent)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 1 {
		t.Fatalf("%d River jobs, want 1", len(res.Jobs))
	}
	if err := db.Ready(t.Context()); err != nil {
		t.Fatalf("Ready with River's tables beside ours: %v", err)
	}
}
