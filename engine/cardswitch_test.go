package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

type cardSwitchCall struct{ sub, pm, key string }

// UseCard plays a subscription whose own default is the old card: it is set to the new one.
func (g *fakeGateway) UseCard(_ context.Context, sub, pm, key string) (recoup.CardSwitch, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.cardSwitchErr; err != nil {
		g.cardSwitchErr = nil
		return "", err
	}
	g.cardSwitches = append(g.cardSwitches, cardSwitchCall{sub, pm, key})
	return recoup.CardDefaultSet, nil
}

func (h *harness) cardSwitchEntries(c recoup.Case) []string {
	var out []string
	for _, e := range h.timeline(c) {
		if e.Kind == recoup.EntryAction && strings.Contains(e.Summary, "card") {
			out = append(out, e.Summary)
		}
	}
	return out
}

// A customer who replaces an expired card: recoup charges the new card explicitly, and once
// it has paid, makes the subscription charge it too, once, recorded on the timeline.
func TestNewCardSwitchedOnSubscription(t *testing.T) {
	tests := []struct {
		name       string
		newCard    bool  // the customer supplies a new card
		outcome    any   // of the charge after it: nil pays
		switchErr  error // the first UseCard call fails
		wantSwitch bool
	}{
		{name: "new card pays", newCard: true, wantSwitch: true},
		{name: "new card pays, Stripe down at first", newCard: true, switchErr: errUnavailable, wantSwitch: true},
		{name: "new card declined", newCard: true, outcome: insufficient},
		{name: "old card pays on retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testPolicy)
			decline := expired
			if !tt.newCard {
				decline = insufficient
			}
			h.gw.failRenewal("in_1", "cus_1", 4200, decline)
			h.gw.script("in_1", tt.outcome)
			h.gw.cardSwitchErr = tt.switchErr
			h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
			h.runDue()
			if tt.newCard {
				h.advance(26 * time.Hour)
				h.ingest("evt_2", "payment_method.attached", "pm_new", "cus_1")
				if tt.switchErr != nil {
					// The switch job fails once: it is an error for the queue to retry, and
					// the recovery stands.
					for range 20 {
						j, ok := h.take(func(j recoup.Job) bool { return !j.RunAt.After(h.now) })
						if !ok {
							t.Fatal("no card switch job")
						}
						err := h.run(j)
						if j.Kind == recoup.JobCardSwitch {
							if recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
								t.Fatalf("failing switch: %v", err)
							}
							h.wantState("in_1", recoup.StateRecovered)
							h.mu.Lock()
							h.jobs = append(h.jobs, j) // the queue's retry
							h.mu.Unlock()
							break
						}
						if err != nil {
							t.Fatal(err)
						}
					}
				}
				h.runDue()
			} else {
				h.advance(10 * 24 * time.Hour)
			}
			c := h.caseOf("in_1")
			calls := h.gw.cardSwitches
			if !tt.wantSwitch {
				if len(calls) != 0 || len(h.cardSwitchEntries(c)) != 0 {
					t.Fatalf("switched %+v, timeline %q; want no switch", calls, h.cardSwitchEntries(c))
				}
				return
			}
			if c.State != recoup.StateRecovered {
				t.Fatalf("case %s", c.State)
			}
			if len(h.gw.calls) == 0 || h.gw.calls[len(h.gw.calls)-1].PaymentMethodID != "pm_new" {
				t.Fatalf("charges %+v, want the last on pm_new", h.gw.calls)
			}
			if len(calls) != 1 || calls[0].sub != "sub_in_1" || calls[0].pm != "pm_new" || calls[0].key == "" {
				t.Fatalf("card switches %+v, want one of sub_in_1 to pm_new with a key", calls)
			}
			entries := h.cardSwitchEntries(c)
			if len(entries) != 1 || !strings.Contains(entries[0], "sub_in_1") || !strings.Contains(entries[0], "pm_new") {
				t.Fatalf("timeline %q, want one switch entry", entries)
			}
			// A re-run (the job's completion lost) calls nothing and records nothing more.
			if err := h.eng.SwitchCard(h.ctx, h.now, c.ID); err != nil {
				t.Fatal(err)
			}
			if len(h.gw.cardSwitches) != 1 || len(h.cardSwitchEntries(c)) != 1 {
				t.Fatalf("re-run: switches %+v, timeline %q", h.gw.cardSwitches, h.cardSwitchEntries(c))
			}
		})
	}
}
