package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/recoup-hq/recoup"
)

// Backup writes a consistent copy of the database to the file path while the database stays
// in use: SQLite's VACUUM INTO, run on a reading connection, copies one snapshot (the last
// commit before it started) without blocking the writer, and the copy is compacted and
// self-contained (no -wal file). The copy is written beside path under a temporary name,
// made readable by its owner only (0600: it holds customer data), and renamed into place, so
// a failed backup leaves no partial file under path. An existing path is refused (ECONFLICT):
// a backup never overwrites.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.path == ":memory:" {
		return recoup.Errorf(recoup.EINVALID, "backup: an in-memory database has no file to copy")
	}
	if _, err := os.Lstat(path); err == nil {
		return recoup.Errorf(recoup.ECONFLICT, "backup: %s already exists; choose a new file", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	os.Remove(tmpName) // VACUUM INTO wants a name that does not exist yet
	defer os.Remove(tmpName)
	if err := db.flush(ctx); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := db.vacuumInto(ctx, tmpName); err != nil {
		return fmt.Errorf("backup of %s: %w", db.path, translate(err))
	}
	if err := os.Chmod(tmpName, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(tmpName); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Link(tmpName, path); err != nil { // unlike Rename, Link never replaces a file made meanwhile
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// vacuumInto runs VACUUM INTO on a connection of its own: the read pool is query_only, which
// SQLite counts as forbidding VACUUM INTO, and the writer must stay free. A scratch database
// (exclusive locking) has only its writer.
func (db *DB) vacuumInto(ctx context.Context, name string) error {
	if db.scratch {
		_, err := db.w.ExecContext(ctx, "VACUUM INTO ?", name)
		return err
	}
	c, err := sql.Open("sqlite", db.path)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeoutMillis)); err != nil {
		return err
	}
	_, err = c.ExecContext(ctx, "VACUUM INTO ?", name)
	return err
}

// syncFile flushes a file to the disk.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
