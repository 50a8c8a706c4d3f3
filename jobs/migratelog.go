package jobs

import (
	"context"
	"log/slog"
)

// migrationLogger is the logger River's migrator gets: its notes ("No migrations to apply",
// "Applied migration") go out at debug level instead of info, so that the commands which open
// the database (every `recoup user`, `case`, `model` ... call) do not print River's migration
// lines each time. Warnings and errors keep their level.
func migrationLogger(l *slog.Logger) *slog.Logger {
	return slog.New(demoted{l.Handler()})
}

// demoted is a slog.Handler that turns info records into debug records.
type demoted struct{ h slog.Handler }

func (d demoted) Enabled(ctx context.Context, lvl slog.Level) bool {
	return d.h.Enabled(ctx, demote(lvl))
}

func (d demoted) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demote(r.Level)
	return d.h.Handle(ctx, r)
}

func (d demoted) WithAttrs(as []slog.Attr) slog.Handler { return demoted{d.h.WithAttrs(as)} }
func (d demoted) WithGroup(name string) slog.Handler    { return demoted{d.h.WithGroup(name)} }

func demote(l slog.Level) slog.Level {
	if l == slog.LevelInfo {
		return slog.LevelDebug
	}
	return l
}
