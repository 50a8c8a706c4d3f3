package main

import (
	"context"
	"fmt"
	"io"

	"github.com/recoup-hq/recoup/sqlite"
)

// BackupCmd copies the SQLite database to a file while recoup runs.
type BackupCmd struct {
	Out string `name:"out" required:"" type:"path" help:"The file to write the copy to; it must not exist yet."`
}

// Run writes the backup. A PostgreSQL database is backed up with pg_dump (docs/deploy.md).
func (c *BackupCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	kind, err := databaseKind(g.DatabaseURL)
	if err != nil {
		return err
	}
	if kind == "postgres" {
		return fmt.Errorf("DATABASE_URL is a PostgreSQL database: back it up with pg_dump (see docs/deploy.md)")
	}
	db, err := sqlite.OpenExisting(ctx, g.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, c.Out); err != nil {
		return err
	}
	fmt.Fprintf(out, "backup of %s written to %s\n", db.Path(), c.Out)
	return nil
}
