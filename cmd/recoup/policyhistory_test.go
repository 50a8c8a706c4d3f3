package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sqlite"
)

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

// Serve's start and every reload that puts a policy in force add its version to the history
// the dashboard's policy page shows; a refused file adds nothing.
func TestPolicyVersionsAreRecorded(t *testing.T) {
	ctx := t.Context()
	db := migratedSQLite(t)
	st := sqlite.NewStore(db, nil)
	clock := &fixedClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	a := &app{backend: &backend{store: st}, clock: clock, log: slog.New(slog.DiscardHandler)}

	path := filepath.Join(t.TempDir(), "policy.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("final_action: leave_past_due\n")
	first, err := policy.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a.recordPolicy(ctx, first, "") // as serve does at start
	h := &holder{p: first}
	hup := make(chan os.Signal, 1)
	checked := make(chan error)
	r := &reloader{path: path, holder: h, log: a.log, checked: checked, changed: func(p *policy.Policy, note string) { a.recordPolicy(ctx, p, note) }}
	go r.run(ctx, hup, nil)
	reload := func() error {
		hup <- syscall.SIGHUP
		return <-checked
	}
	clock.t = clock.t.Add(time.Hour)
	write("final_action: cancel_subscription\n")
	if err := reload(); err != nil {
		t.Fatal(err)
	}
	second := h.Policy()
	clock.t = clock.t.Add(time.Hour)
	write("final_action: shred\n")
	if err := reload(); err == nil {
		t.Fatal("an invalid file was put in force")
	}

	got, err := st.PolicyVersions(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Version != second.Version || got[1].Version != first.Version ||
		got[0].Source != "final_action: cancel_subscription\n" || !got[0].FirstSeenAt.Equal(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("policy versions: want %s (10:00) then %s, got %+v", second.Version, first.Version, got)
	}
}
