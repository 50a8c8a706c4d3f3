package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
	"github.com/recoup-hq/recoup/sqlite"
	"github.com/recoup-hq/recoup/web"
)

// DemoCmd runs recoup on a simulated Stripe world in accelerated real time, with the dashboard.
type DemoCmd struct {
	Listen         string        `name:"listen" env:"RECOUP_LISTEN" default:"127.0.0.1:8080" help:"Where the dashboard listens: a loopback address only."`
	DayEvery       time.Duration `name:"day-every" default:"5s" help:"Real time per simulated day."`
	FailuresPerDay int           `name:"failures-per-day" default:"40" help:"About how many renewals fail per simulated day."`
	World          string        `default:"realistic" help:"The simulated world: ${worlds}."`
	Seed           uint64        `default:"1" help:"The world's seed."`
	Dir            string        `help:"Keep the demo in this directory (default: a temporary one, removed on exit); run again with the same --dir to resume it."`
	PolicyFile     string        `name:"policy" type:"existingfile" help:"A policy file (default: the built-in policy)."`
}

// demoUser is the demo's administrator.
const demoUser = "admin@demo.recoup"

// Run starts the simulation and the dashboard and serves until interrupted.
func (c *DemoCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	if !loopback(c.Listen) {
		return fmt.Errorf("RECOUP_LISTEN %s: the demo listens on a loopback address only (e.g. 127.0.0.1:8080)", c.Listen)
	}
	if c.DayEvery < 100*time.Millisecond || c.FailuresPerDay < 1 {
		return fmt.Errorf("--day-every must be at least 100ms and --failures-per-day at least 1")
	}
	pol := policy.Default()
	if c.PolicyFile != "" {
		p, err := policy.Load(c.PolicyFile)
		if err != nil {
			return err
		}
		pol = p
	}
	// Listen first: a busy port must not cost a kept demo a segment (openDemoDir).
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("RECOUP_LISTEN %s: %w", c.Listen, err)
	}
	defer ln.Close()
	dir := c.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "recoup-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	st, resumed, err := openDemoDir(dir, c.World, c.Seed, time.Now().UTC().Truncate(24*time.Hour))
	if err != nil {
		return err
	}
	log := g.Logger()
	db, err := sqlite.Open(ctx, filepath.Join(dir, demoDBFile))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	links, err := newDemoLinks(ln.Addr().String(), log)
	if err != nil {
		return err
	}
	live, err := sim.NewLive(ctx, sim.LiveConfig{World: c.World, Policy: pol, DB: db, Start: st.Clock,
		Speed: float64(24*time.Hour) / float64(c.DayEvery), FailuresPerDay: c.FailuresPerDay, Days: 3 * 365,
		Seed: st.worldSeed(), IDPrefix: st.idPrefix(), Logger: log, OnClick: links.open})
	if err != nil {
		return err
	}
	links.now = live.Now
	if resumed {
		closed, err := live.CloseUnfinished(ctx, fmt.Sprintf("the demo stopped while this case was in recovery; "+
			"it resumed with a new simulated world (part %d of the demo), in which this invoice does not exist, so it is voided", st.Segment))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "recoup demo: resuming the demo in %s at simulated day %d (%s).\n"+
			"The simulated customers of its earlier run cannot be restored: a new simulated world (part %d of the demo) goes on from here,\n"+
			"and %s.\n", dir, st.day(), st.Clock.Format("Mon 2 Jan 2006 15:04 MST"), st.Segment, closedCases(closed))
	} else if c.Dir != "" {
		fmt.Fprintf(out, "recoup demo: keeping the demo in %s; run again with --dir %s to resume it.\n", dir, dir)
	}
	// The clock is saved as it runs, and when the demo stops, for the next run to resume from.
	saveClock := func() error {
		st.Clock = live.Now()
		return saveDemoState(dir, st)
	}
	stopSaving, saved := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(saved)
		tick := time.NewTicker(max(c.DayEvery/4, 25*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-stopSaving:
				return
			case <-tick.C:
				if err := saveClock(); err != nil {
					log.Warn("demo: save the clock", "err", err)
				}
			}
		}
	}()
	defer func() {
		close(stopSaving)
		<-saved
		if err := saveClock(); err != nil {
			log.Error("demo: save the clock", "err", err)
		}
	}()
	store := demoStore(db)
	password := rand.Text()
	hash, err := dashboard.HashPassword(password)
	if err != nil {
		return err
	}
	if err := demoAdmin(ctx, store, hash); err != nil {
		return err
	}
	d := demoDashboard(store, live, log)
	srv := web.New(web.Config{Store: store, Intake: noIntake{}, Verifier: noIntake{}, Access: store, Analytics: store,
		Dashboard: d.Handler(), Links: links.pages, Logger: log, Now: live.Now})
	hs := srv.HTTPServer(ln.Addr().String())
	fmt.Fprintf(out, "recoup demo: a simulated Stripe account (world %q), a simulated day every %s, about %d failed renewals a day.\n",
		c.World, c.DayEvery, c.FailuresPerDay)
	fmt.Fprintf(out, "dashboard: http://%s/ui/\nlogin:     %s\npassword:  %s\n(Ctrl-C stops the demo)\n", ln.Addr(), demoUser, password)
	served, ran := make(chan error, 1), make(chan error, 1)
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go func() { served <- hs.Serve(ln) }()
	go func() { ran <- live.Run(runCtx) }()
	select {
	case <-ctx.Done():
		// The simulation ends the step it is in before the clock is saved and the database
		// closes: a step still writing then would leave a case the saved state does not know.
		<-ran
	case err := <-served:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			hs.Close()
			stopRun()
			<-ran
			return err
		}
		<-ctx.Done()
		<-ran
	case err := <-ran:
		if err != nil {
			hs.Close()
			return err
		}
		<-ctx.Done() // the world is done: keep the dashboard up
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return hs.Shutdown(shutdown)
}

// demoStore is the store the demo's dashboard reads: the simulation's database. It queues no
// jobs: the operator actions go through the simulation.
func demoStore(db *sqlite.DB) *sqlite.Store {
	return sqlite.NewStore(db, func(context.Context, *sql.Tx, []recoup.Job) error {
		return errors.New("the demo's dashboard store queues no jobs: operator actions go through the simulation")
	})
}

// demoDashboard is the demo's dashboard: it reads the simulation's database, and its operator
// actions go through the simulation (Live), so they run on the simulated clock and job queue.
func demoDashboard(store *sqlite.Store, live *sim.Live, log *slog.Logger) *dashboard.Dashboard {
	return dashboard.New(dashboard.Config{Store: store, Access: store, Analytics: store, Operator: live, Policy: live.Engine().Policy,
		SecureCookies: false, Now: time.Now, DataNow: live.Now, Logger: log})
}

// closedCases says how many of the earlier world's cases a resumed demo closed.
func closedCases(n int) string {
	switch n {
	case 0:
		return "no case was still in recovery"
	case 1:
		return "the 1 case still in recovery was closed as voided"
	}
	return fmt.Sprintf("the %d cases still in recovery were closed as voided", n)
}

// noIntake refuses webhooks: the demo's events come from its simulated world.
type noIntake struct{}

func (noIntake) Ingest(context.Context, time.Time, *recoup.Event) (bool, error) {
	return false, recoup.Errorf(recoup.EUNAUTHORIZED, "the demo takes no webhooks")
}

func (noIntake) Verify([]byte, string) (recoup.Event, error) {
	return recoup.Event{}, recoup.Errorf(recoup.EUNAUTHORIZED, "the demo takes no webhooks")
}

// demoAdmin creates the demo's administrator, or gives it the new password when the database
// is kept from an earlier run (--dir).
func demoAdmin(ctx context.Context, access recoup.AccessStore, hash string) error {
	err := access.CreateUser(ctx, &recoup.User{Email: demoUser, Role: recoup.RoleAdmin, PasswordHash: hash, CreatedAt: time.Now()})
	if recoup.ErrorCode(err) != recoup.ECONFLICT {
		return err
	}
	u, err := access.UserByEmail(ctx, demoUser)
	if err != nil {
		return err
	}
	u.PasswordHash, u.Role, u.Disabled = hash, recoup.RoleAdmin, false
	return access.UpdateUser(ctx, &u)
}
