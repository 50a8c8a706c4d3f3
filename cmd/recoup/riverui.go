package main

import (
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"riverqueue.com/riverui"
)

// riverUIPrefix is where the dashboard mounts River's job queue UI (admins only).
const riverUIPrefix = "/ui/riverui"

// newRiverUI returns River's UI on the client, for any driver (SQLite or PostgreSQL). It must
// be started (Start) before it serves.
func newRiverUI[TTx any](client *river.Client[TTx], log *slog.Logger) (*riverui.Handler, error) {
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(client, nil),
		Logger:    log,
		Prefix:    riverUIPrefix,
		// Job arguments hold case ids and event ids, not customer data, but the list needs
		// none of them at a glance.
		JobListHideArgsByDefault: true,
	})
	if err != nil {
		return nil, fmt.Errorf("river UI: %w", err)
	}
	return h, nil
}
