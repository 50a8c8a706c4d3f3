package main

import (
	"context"
	"fmt"

	"github.com/recoup-hq/recoup/jobs"
)

// MigrateCmd applies the migrations and exits.
type MigrateCmd struct{}

// Run applies the store's and the job queue's migrations.
func (c *MigrateCmd) Run(ctx context.Context, g *Globals) error {
	b, err := openBackend(ctx, g.DatabaseURL, jobs.Config{Clock: realClock{}, Logger: g.Logger()})
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.Migrate(ctx); err != nil {
		return err
	}
	fmt.Printf("migrations applied (%s)\n", b.kind)
	return nil
}
