package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// runExit runs the CLI with args and returns its output and the exit code kong asked for (-1:
// none).
func runExit(t *testing.T, args ...string) (string, int, error) {
	t.Helper()
	var out bytes.Buffer
	code := -1
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil && r != "exit" {
				panic(r)
			}
		}()
		err = run(context.Background(), args, &out, func(c int) { code = c; panic("exit") })
	}()
	return out.String(), code, err
}

func TestFormatVersion(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/recoup-hq/recoup", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0d1c49d2f"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"}}}
	got := formatVersion(bi, "", "")
	for _, want := range []string{"recoup v1.4.0\n", "commit  0d1c49d2f (modified)\n", "from the commit of 2026-12-01T10:00:00Z", "go      go1."} {
		if !strings.Contains(got, want) {
			t.Errorf("version lacks %q:\n%s", want, got)
		}
	}
	if got := formatVersion(bi, "2026-12-06T12:00:00Z", ""); !strings.Contains(got, "built   2026-12-06T12:00:00Z\n") {
		t.Errorf("the build date given at link time is not shown:\n%s", got)
	}
	if got := formatVersion(nil, "", ""); !strings.Contains(got, "recoup unknown") {
		t.Errorf("no build info:\n%s", got)
	}
	// Without the go command's stamp, the commit the build script linked in stands.
	unstamped := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
	if got := formatVersion(unstamped, "", "abc123 (modified)"); !strings.Contains(got, "commit  abc123 (modified)\n") {
		t.Errorf("linked commit not shown:\n%s", got)
	}
	if got := formatVersion(bi, "", "other"); !strings.Contains(got, "commit  0d1c49d2f (modified)\n") {
		t.Errorf("the stamped commit must win over a linked one:\n%s", got)
	}
}

func TestVersionCommandAndFlag(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"serve", "--version"}} {
		out, code, err := runExit(t, args...)
		if err != nil || (code != -1 && code != 0) || !strings.HasPrefix(out, "recoup ") || !strings.Contains(out, "commit ") {
			t.Errorf("%v: exit %d, err %v, output:\n%s", args, code, err, out)
		}
	}
}

// recoup without a command shows the help and its commands, and exits 0.
func TestNoCommandShowsHelp(t *testing.T) {
	out, code, err := runExit(t)
	if err != nil || code != 0 {
		t.Fatalf("exit %d, err %v", code, err)
	}
	for _, want := range []string{"Usage: recoup", "serve", "migrate", "backup", "version"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}

// The global flags show on the commands that use them and not on the others.
func TestGlobalFlagsOnlyWhereUsed(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"migrate", "--help"}, true},
		{[]string{"user", "list", "--help"}, true},
		{[]string{"backup", "--help"}, true},
		{[]string{"policy", "check", "--help"}, false},
		{[]string{"simulate", "--help"}, false},
		{[]string{"version", "--help"}, false},
	} {
		out, _, _ := runExit(t, tt.args...)
		for _, flag := range []string{"--database-url", "--log-level"} {
			if got := strings.Contains(out, flag); got != tt.want {
				t.Errorf("%v: %s shown = %v, want %v:\n%s", tt.args, flag, got, tt.want, out)
			}
		}
	}
	// Hiding is for one help text only: the top-level help still lists them.
	if out, _, _ := runExit(t, "--help"); !strings.Contains(out, "--database-url") {
		t.Errorf("top-level help lacks --database-url:\n%s", out)
	}
}

func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "recoup.db")
	if _, _, err := runExit(t, "--database-url", db, "migrate"); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "copy.db")
	out, _, err := runExit(t, "--database-url", db, "backup", "--out", copyPath)
	if err != nil || !strings.Contains(out, "written to") {
		t.Fatalf("backup: %v %s", err, out)
	}
	// The copy is a working database: another command opens it as it is.
	if _, _, err := runExit(t, "--database-url", copyPath, "user", "list"); err != nil {
		t.Errorf("user list on the backup: %v", err)
	}
	if _, _, err := runExit(t, "--database-url", db, "backup", "--out", copyPath); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
	if _, _, err := runExit(t, "--database-url", filepath.Join(dir, "missing.db"), "backup", "--out", filepath.Join(dir, "x.db")); err == nil {
		t.Errorf("backup of a missing database succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Errorf("backup created the missing database")
	}
	if _, _, err := runExit(t, "--database-url", "postgres://u@127.0.0.1:1/x", "backup", "--out", filepath.Join(dir, "p.db")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("PostgreSQL backup: %v", err)
	}
}
