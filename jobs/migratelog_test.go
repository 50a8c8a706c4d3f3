package jobs

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// Migrating a database, whether or not anything is left to apply, logs nothing at info level
// (each CLI command opens the database); at debug level River's notes are there.
func TestMigrationLogsOnlyAtDebug(t *testing.T) {
	for _, tt := range []struct {
		level slog.Level
		want  bool
	}{{slog.LevelInfo, false}, {slog.LevelDebug, true}} {
		t.Run(tt.level.String(), func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tt.level}))
			q, err := NewSQLite(sqliteFile(t), Config{Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // the first applies River's migrations, the second finds none to apply
				if err := q.Migrate(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			got := buf.String()
			if has := strings.Contains(got, "migration"); has != tt.want {
				t.Errorf("migration lines logged = %v, want %v:\n%s", has, tt.want, got)
			}
			if tt.want && strings.Contains(got, "level=INFO") {
				t.Errorf("info records remain:\n%s", got)
			}
		})
	}
}
