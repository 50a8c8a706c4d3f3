package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// The files the demo keeps in --dir: its database, and its state beside it.
const (
	demoDBFile    = "recoup-demo.db"
	demoStateFile = "recoup-demo.json"
)

// demoStateFormat is the state file format this recoup writes and can resume.
const demoStateFormat = 1

// demoState is what a demo kept in --dir needs to resume: the simulated clock, and how many
// simulated worlds have played on its database. A world's hidden state (balances, paydays,
// moods, the agenda of what each customer does next) lives only in memory, so a resumed demo
// cannot continue the world it stopped: it continues the clock and plays a new world (a
// segment) with a seed and ids of its own, so its invoices and events are new, never
// duplicates of the earlier ones.
type demoState struct {
	Format  int       `json:"format"`
	World   string    `json:"world"`
	Seed    uint64    `json:"seed"`    // --seed; each segment's world seed derives from it
	Started time.Time `json:"started"` // the simulated time the first segment started at
	Segment int       `json:"segment"` // the segment playing or last played, from 1
	Clock   time.Time `json:"clock"`   // the simulated time reached
}

// worldSeed is the seed of the segment's world: the demo's seed for the first, so that a demo
// without --dir plays the world it always did.
func (s demoState) worldSeed() uint64 { return s.Seed + uint64(s.Segment-1)*0x9e3779b97f4a7c15 }

// idPrefix starts the ids of the segment's world: none for the first, "s2_" for the second...
func (s demoState) idPrefix() string {
	if s.Segment == 1 {
		return ""
	}
	return fmt.Sprintf("s%d_", s.Segment)
}

// day is the simulated day the clock is on, counted from the demo's first day as day 1.
func (s demoState) day() int { return int(s.Clock.Sub(s.Started)/(24*time.Hour)) + 1 }

// openDemoDir prepares dir (created if missing) for a demo of world and seed starting at
// start: a new demo if dir holds none, or the next segment of the demo it holds. It refuses, in
// words that say what to do, a dir it cannot resume: a database without state (an older
// recoup), state without its database, another state format, or another world or seed. The
// state is saved before it returns, so that a segment's ids are never played twice, even if
// this run dies at once.
func openDemoDir(dir, world string, seed uint64, start time.Time) (st demoState, resumed bool, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return demoState{}, false, fmt.Errorf("--dir: %w", err)
	}
	dbPath, statePath := filepath.Join(dir, demoDBFile), filepath.Join(dir, demoStateFile)
	_, dbErr := os.Stat(dbPath)
	b, err := os.ReadFile(statePath)
	switch {
	case errors.Is(err, fs.ErrNotExist) && errors.Is(dbErr, fs.ErrNotExist):
		st = demoState{Format: demoStateFormat, World: world, Seed: seed, Started: start, Segment: 1, Clock: start}
		return st, false, saveDemoState(dir, st)
	case errors.Is(err, fs.ErrNotExist):
		return demoState{}, false, fmt.Errorf("%s holds a demo database but not its state (%s): an older recoup made it, and this one cannot resume it; remove %s, or choose another --dir", dir, demoStateFile, dbPath)
	case err != nil:
		return demoState{}, false, fmt.Errorf("--dir: read the demo's state: %w", err)
	case dbErr != nil:
		return demoState{}, false, fmt.Errorf("%s holds the demo's state but not its database (%s): remove %s to start a new demo there, or choose another --dir", dir, demoDBFile, statePath)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return demoState{}, false, fmt.Errorf("%s is not a demo state file recoup can read (%v): remove %s and %s to start a new demo there, or choose another --dir", statePath, err, demoDBFile, demoStateFile)
	}
	switch {
	case st.Format != demoStateFormat:
		return demoState{}, false, fmt.Errorf("the demo in %s was made by another version of recoup (state format %d; this one resumes format %d): remove %s and %s to start a new demo there, or choose another --dir", dir, st.Format, demoStateFormat, demoDBFile, demoStateFile)
	case st.Segment < 1 || st.Clock.IsZero() || st.Started.IsZero():
		return demoState{}, false, fmt.Errorf("%s is incomplete: remove %s and %s to start a new demo there, or choose another --dir", statePath, demoDBFile, demoStateFile)
	case st.World != world || st.Seed != seed:
		return demoState{}, false, fmt.Errorf("the demo in %s plays world %q with seed %d: run with --world %s --seed %d to resume it, or choose another --dir for world %q with seed %d", dir, st.World, st.Seed, st.World, st.Seed, world, seed)
	}
	st.Segment++
	return st, true, saveDemoState(dir, st)
}

// saveDemoState writes the state atomically: a stopped demo leaves the old state or the new.
func saveDemoState(dir string, st demoState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, demoStateFile+".*")
	if err != nil {
		return fmt.Errorf("save the demo's state: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save the demo's state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, demoStateFile)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save the demo's state: %w", err)
	}
	return nil
}
