package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// TestNarrowCaseUpdate holds UpdateCase, which skips indexed columns it saw unchanged, to
// leaving the row and every index as a full update would: each change is read back, through
// the indexes that cover it, and the database's integrity check passes.
func TestNarrowCaseUpdate(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		read   bool // read the case in the transaction first (the narrow path)
		change func(c *recoup.Case)
	}{
		{"nothing", true, func(c *recoup.Case) {}},
		{"plan only", true, func(c *recoup.Case) { c.Plan(recoup.ActionRetry, now.Add(time.Hour), "retry") }},
		{"state", true, func(c *recoup.Case) { c.State = recoup.StateScheduled }},
		{"recovered", true, func(c *recoup.Case) {
			c.State, c.RecoveredBy, c.ResolvedAt, c.Amount.Amount = recoup.StateRecovered, recoup.ByRecoupRetry, now.Add(time.Hour), 1500
		}},
		{"identity", true, func(c *recoup.Case) {
			c.InvoiceID, c.CustomerID, c.SubscriptionID, c.CustomerEmail = "in_new", "cus_new", "sub_new", "New@Example.com"
		}},
		{"category, review, created", true, func(c *recoup.Case) {
			c.Category, c.Review, c.CreatedAt = recoup.CategoryFunds, recoup.ReviewPending, now.Add(-time.Hour)
		}},
		{"decline", true, func(c *recoup.Case) { c.LastDecline = &recoup.Decline{DeclineCode: "do_not_honor"} }},
		{"state, not read first", false, func(c *recoup.Case) { c.State = recoup.StateScheduled }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, s := openScratchTestStore(t)
			c := recoup.Case{InvoiceID: "in_1", CustomerID: "cus_1", SubscriptionID: "sub_1", CustomerEmail: "a@example.com",
				Amount: recoup.Money{Amount: 1000, Currency: "usd"}, State: recoup.StateOpen, Category: recoup.CategoryUnknown,
				FirstFailedAt: now, CreatedAt: now, UpdatedAt: now}
			if err := s.Tx(ctx, func(tx recoup.Tx) error { return tx.CreateCase(&c) }); err != nil {
				t.Fatal(err)
			}
			var want recoup.Case
			err := s.Tx(ctx, func(tx recoup.Tx) error {
				cur := c
				if tt.read {
					var err error
					if cur, err = tx.Case(c.ID); err != nil {
						return err
					}
				}
				tt.change(&cur)
				if err := tx.UpdateCase(&cur); err != nil {
					return err
				}
				// A second update in the same transaction, from what the first wrote.
				cur.UpdatedAt = cur.UpdatedAt.Add(time.Minute)
				if err := tx.UpdateCase(&cur); err != nil {
					return err
				}
				// A stale copy is still refused.
				stale := c
				stale.State = recoup.StateClosed
				if err := tx.UpdateCase(&stale); recoup.ErrorCode(err) != recoup.ECONFLICT {
					t.Errorf("stale update: got %v, want ECONFLICT", err)
				}
				want = cur
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Case(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read back:\n got %+v\nwant %+v", got, want)
			}
			err = s.Tx(ctx, func(tx recoup.Tx) error {
				byInvoice, err := tx.CaseByInvoice(want.InvoiceID)
				if err != nil || byInvoice.ID != c.ID {
					t.Errorf("by invoice %s: %v, %v", want.InvoiceID, byInvoice.ID, err)
				}
				open, err := tx.OpenCases(want.CustomerID, want.SubscriptionID)
				if wantOpen := !want.State.Terminal(); err != nil || (len(open) == 1) != wantOpen {
					t.Errorf("open cases of %s/%s: %d, %v; want open %v", want.CustomerID, want.SubscriptionID, len(open), err, wantOpen)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			page, err := s.Cases(ctx, recoup.CaseFilter{State: want.State})
			if err != nil || len(page.Cases) != 1 {
				t.Errorf("cases in state %s: %d, %v", want.State, len(page.Cases), err)
			}
			var check string
			if err := db.SQL().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
				t.Errorf("integrity check: %q, %v", check, err)
			}
		})
	}
}
