package main

import (
	"context"
	"fmt"
	"io"

	"github.com/recoup-hq/recoup/jobs"
)

// MigrateCmd applies the migrations and exits.
type MigrateCmd struct{}

// Run applies the store's and the job queue's migrations.
func (c *MigrateCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	b, err := openBackend(ctx, g.DatabaseURL, jobs.Config{Clock: realClock{}, Logger: g.Logger()})
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "migrations applied (%s)\n", b.kind)
	return nil
}
