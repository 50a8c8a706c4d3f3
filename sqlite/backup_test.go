package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/recoup-hq/recoup"
)

// A backup taken while a write transaction is open completes without waiting for it, holds
// the committed data only, opens as a migrated database, and is readable by its owner alone.
func TestBackupWhileInUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "recoup.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w := db.SQL()
	if _, err := w.ExecContext(ctx, "CREATE TABLE backup_probe (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ExecContext(ctx, "INSERT INTO backup_probe VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	tx, err := w.BeginTx(ctx, nil) // the writer is busy: an uncommitted row
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO backup_probe VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, out); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %v, want 0600", st.Mode().Perm())
	}
	b, err := OpenExisting(ctx, out)
	if err != nil {
		t.Fatalf("opening the backup: %v", err)
	}
	defer b.Close()
	if err := b.Ready(ctx); err != nil {
		t.Errorf("the backup is not a migrated database: %v", err)
	}
	var n int
	if err := b.SQL().QueryRowContext(ctx, "SELECT count(*) FROM backup_probe").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("backup holds %d rows, want the 1 committed", n)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".tmp" {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}

	// A second backup to the same file is refused and the first stays whole.
	if err := db.Backup(ctx, out); recoup.ErrorCode(err) != recoup.ECONFLICT {
		t.Errorf("backup over an existing file: %v, want a conflict", err)
	}
	if st2, _ := os.Stat(out); st2.Size() != st.Size() {
		t.Errorf("the existing backup changed size: %d -> %d", st.Size(), st2.Size())
	}
}
