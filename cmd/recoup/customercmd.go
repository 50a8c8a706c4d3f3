package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/recoup-hq/recoup"
)

// CustomerCmd answers a customer's data requests (docs/privacy.md): a copy of what recoup
// holds about them, or its erasure.
type CustomerCmd struct {
	Export CustomerExportCmd `cmd:"" help:"Print, as JSON, everything recoup stores about a customer (by Stripe customer id)."`
	Erase  CustomerEraseCmd  `cmd:"" help:"Erase a customer's personal data: their id is replaced by a pseudonym, their addresses, message texts and Stripe payloads are emptied; cases, amounts and the timeline stay for accounting and audit."`
}

// personalData returns the backend's store as a PersonalDataStore.
func personalData(b *backend) (recoup.PersonalDataStore, error) {
	pd, ok := b.store.(recoup.PersonalDataStore)
	if !ok {
		return nil, fmt.Errorf("the %s store cannot export or erase customers", b.kind)
	}
	return pd, nil
}

// CustomerExportCmd prints a customer's data.
type CustomerExportCmd struct {
	ID string `arg:"" help:"The Stripe customer id (cus_...)."`
}

// Run prints the export as indented JSON.
func (c *CustomerExportCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	return withExisting(ctx, g, func(b *backend) error {
		pd, err := personalData(b)
		if err != nil {
			return err
		}
		x, err := pd.ExportCustomer(ctx, c.ID)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(x)
	})
}

// CustomerEraseCmd erases a customer's personal data.
type CustomerEraseCmd struct {
	ID  string `arg:"" help:"The Stripe customer id (cus_...)."`
	Yes bool   `name:"yes" help:"Confirm: the erasure cannot be undone."`
}

// Run pseudonymises the customer with a random pseudonym, which is printed: nothing links it
// to the customer id any more.
func (c *CustomerEraseCmd) Run(ctx context.Context, g *Globals, out io.Writer) error {
	if err := recoup.ValidCustomerID(c.ID); err != nil {
		return err
	}
	if !c.Yes {
		return recoup.Errorf(recoup.EINVALID, "erasing customer %s cannot be undone: run again with --yes", c.ID)
	}
	return withExisting(ctx, g, func(b *backend) error {
		pd, err := personalData(b)
		if err != nil {
			return err
		}
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			return err
		}
		e, err := pd.EraseCustomer(ctx, c.ID, recoup.ErasedPrefix+hex.EncodeToString(r[:]))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "customer %s erased: now %s in %d rows, %d personal fields emptied\n", c.ID, e.Pseudonym, e.Rows, e.Fields)
		return nil
	})
}

// RetentionFlags set how long personal data is kept (docs/privacy.md).
type RetentionFlags struct {
	RetentionDays int `name:"retention-days" env:"RECOUP_RETENTION_DAYS" default:"90" help:"Days to keep Stripe event payloads and message texts; then they are emptied (0 keeps them). Ignored events' payloads are never kept."`
}

func (f RetentionFlags) validate() error {
	if f.RetentionDays < 0 || f.RetentionDays > 3650 {
		return fmt.Errorf("RECOUP_RETENTION_DAYS must be 0 (keep) to 3650, got %d", f.RetentionDays)
	}
	return nil
}

// retentionEvery is how often serve runs the retention job.
const retentionEvery = time.Hour

// keepRetention runs the retention job at start and every retentionEvery until ctx ends.
func keepRetention(ctx context.Context, pd recoup.PersonalDataStore, days int, now func() time.Time, log *slog.Logger) {
	if days <= 0 || pd == nil {
		return
	}
	go func() {
		retainOnce(ctx, pd, days, now(), log)
		t := time.NewTicker(retentionEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				retainOnce(ctx, pd, days, now(), log)
			}
		}
	}()
}

// retainOnce empties, at now, what is older than days (and ignored events' payloads).
func retainOnce(ctx context.Context, pd recoup.PersonalDataStore, days int, now time.Time, log *slog.Logger) recoup.Purged {
	p, err := pd.Purge(ctx, now.AddDate(0, 0, -days))
	if err != nil {
		if ctx.Err() == nil {
			log.Error("retention: purge failed", "error", err.Error())
		}
		return p
	}
	if p.Payloads+p.Messages > 0 {
		log.Info("retention: personal data past its retention emptied", "days", days, "payloads", p.Payloads, "messages", p.Messages)
	}
	return p
}
