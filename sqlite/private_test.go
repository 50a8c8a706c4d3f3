package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The database holds customers' personal data: a file Open creates, and its WAL, are readable
// by their owner only, whatever the umask lets through.
func TestOpenCreatesThePrivateFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, open := range map[string]func(string) (*DB, error){
		"Open":        func(p string) (*DB, error) { return Open(ctx, p) },
		"file: URI":   func(p string) (*DB, error) { return Open(ctx, "file:"+p+"?_pragma=busy_timeout(1000)") },
		"OpenScratch": func(p string) (*DB, error) { return OpenScratch(ctx, p) },
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".db")
			db, err := open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, path + "-wal"} {
				st, err := os.Stat(p)
				if os.IsNotExist(err) && p != path {
					continue // no WAL (OpenScratch)
				}
				if err != nil {
					t.Fatal(err)
				}
				if mode := st.Mode().Perm(); mode != 0o600 {
					t.Errorf("%s has mode %#o, want 0600", filepath.Base(p), mode)
				}
			}
		})
	}
}
