package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/recoup-hq/recoup/shadow"
)

// ShadowCmd groups the observe-only (shadow) mode commands.
type ShadowCmd struct {
	Report ShadowReportCmd `cmd:"" help:"Compare what recoup would have done in observe-only mode with what Stripe did, case by case."`
}

// ShadowReportCmd prints the shadow report.
type ShadowReportCmd struct {
	Limit int  `default:"500" help:"Read at most this many of the newest cases."`
	JSON  bool `name:"json" help:"Print JSON instead of text."`
}

// Run reads the store and prints the report.
func (c *ShadowReportCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	if c.Limit < 1 {
		return fmt.Errorf("--limit must be at least 1, got %d", c.Limit)
	}
	b, err := openExisting(ctx, g)
	if err != nil {
		return err
	}
	defer b.close()
	r, err := shadow.Build(ctx, b.store, c.Limit)
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return shadow.Write(out, r)
}
