package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/history/report"
	"github.com/recoup-hq/recoup/jobs"
	"github.com/recoup-hq/recoup/sqlite"
)

// HistoryReportCmd reports on the imported history.
type HistoryReportCmd struct {
	Since      string `name:"since" default:"365d" help:"The period: the failures of the last 365d, 90d, ... (at most 400d)."`
	Format     string `name:"format" enum:",markdown,html,json" default:"" help:"markdown, html (one self-contained page with charts) or json; default: from --out's extension, else markdown."`
	JSON       bool   `name:"json" help:"The same as --format json."`
	Out        string `name:"out" short:"o" type:"path" help:"Write the report to this file instead of standard output."`
	PolicyFile string `name:"policy" env:"RECOUP_POLICY" type:"path" help:"Policy file (YAML): its time zone is the customers' when their card names no country."`
	Templates  string `name:"templates" env:"RECOUP_TEMPLATES" type:"path" help:"Directory of template overrides the policy may name."`
}

// Run reads the imported history of the period, read-only, and writes the report.
func (c *HistoryReportCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	return c.run(ctx, g, out, time.Now())
}

func (c *HistoryReportCmd) run(ctx context.Context, g *Globals, out io.Writer, now time.Time) error {
	format, err := c.format()
	if err != nil {
		return err
	}
	period, err := parsePeriod(c.Since)
	if err != nil {
		return err
	}
	pol, err := loadPolicy(c.PolicyFile, c.Templates)
	if err != nil {
		return err
	}
	// Read-only: a missing SQLite file is not created, a database is not migrated.
	b, err := open(ctx, g.DatabaseURL, jobs.Config{Clock: realClock{}, Logger: g.Logger()}, sqlite.OpenExisting)
	if recoup.ErrorCode(err) == recoup.ENOTFOUND {
		return fmt.Errorf("history report: %w: run `recoup history import` first, or set DATABASE_URL", err)
	}
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.Ready(ctx); err != nil {
		return fmt.Errorf("history report: %s holds no imported history (%v): run `recoup history import` first", b.name, err)
	}
	hr, ok := b.store.(recoup.HistoryReader)
	if !ok {
		return fmt.Errorf("history report: the store of %s cannot read the history", b.name)
	}
	to := now.UTC().Truncate(time.Second)
	from := to.Add(-period)
	h, err := hr.ReadHistory(ctx, from, to)
	if recoup.IsNotFound(err) {
		return fmt.Errorf("history report: no history imported into %s: run `recoup history import` first", b.name)
	}
	if err != nil {
		return fmt.Errorf("history report: %w", err)
	}
	r := report.Build(h, report.Options{From: from, To: to, Zone: pol.Location})

	w := out
	var f *os.File
	if c.Out != "" {
		if f, err = os.Create(c.Out); err != nil {
			return fmt.Errorf("history report: %w", err)
		}
		w = f
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	case "html":
		err = report.HTML(w, r)
	default:
		err = report.Markdown(w, r)
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			fmt.Fprintf(out, "history report: wrote %s (%s invoices failed since %s)\n", c.Out, grouped(r.Invoices), from.Format(time.DateOnly))
		}
	}
	if err != nil {
		return fmt.Errorf("history report: write: %w", err)
	}
	return nil
}

// format is the one asked for, else the one --out's extension names, else Markdown.
func (c *HistoryReportCmd) format() (string, error) {
	if c.JSON {
		if c.Format != "" && c.Format != "json" {
			return "", fmt.Errorf("--json and --format %s: give one", c.Format)
		}
		return "json", nil
	}
	if c.Format != "" {
		return c.Format, nil
	}
	switch strings.ToLower(filepath.Ext(c.Out)) {
	case ".html", ".htm":
		return "html", nil
	case ".json":
		return "json", nil
	}
	return "markdown", nil
}
