package recoup_test

import (
	"errors"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func TestTransitions(t *testing.T) {
	legal := map[recoup.CaseState][]recoup.CaseState{
		recoup.StateOpen:             {recoup.StateScheduled, recoup.StateAwaitingCustomer, recoup.StateExhausted, recoup.StateRecovered, recoup.StateClosed, recoup.StatePaused, recoup.StatePlanning},
		recoup.StateScheduled:        {recoup.StateScheduled, recoup.StateRetrying, recoup.StateAwaitingCustomer, recoup.StateExhausted, recoup.StateRecovered, recoup.StateClosed, recoup.StatePaused, recoup.StatePlanning},
		recoup.StateRetrying:         {recoup.StateScheduled, recoup.StateAwaitingCustomer, recoup.StateExhausted, recoup.StateRecovered, recoup.StateClosed},
		recoup.StateAwaitingCustomer: {recoup.StateScheduled, recoup.StateAwaitingCustomer, recoup.StateExhausted, recoup.StateRecovered, recoup.StateClosed, recoup.StatePaused, recoup.StatePlanning},
		recoup.StatePaused:           {recoup.StateScheduled, recoup.StateRecovered, recoup.StateClosed, recoup.StatePlanning},
		recoup.StatePlanning:         {recoup.StateClosed, recoup.StateRecovered, recoup.StatePaused, recoup.StateExhausted},
		recoup.StateExhausted:        {recoup.StateRecovered, recoup.StateClosed, recoup.StatePlanning},
	}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for _, from := range recoup.CaseStates {
		for _, to := range recoup.CaseStates {
			want := false
			for _, l := range legal[from] {
				want = want || l == to
			}
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				c := recoup.Case{ID: 1, State: from, NextAction: &recoup.Action{Seq: 1}}
				err := c.Transition(to, now)
				if want {
					if err != nil {
						t.Fatalf("legal transition refused: %v", err)
					}
					if c.State != to || !c.UpdatedAt.Equal(now) {
						t.Fatalf("state %s updated %v, want %s at %v", c.State, c.UpdatedAt, to, now)
					}
					return
				}
				if !errors.Is(err, recoup.ErrIllegalTransition) {
					t.Fatalf("illegal transition: err = %v, want ErrIllegalTransition", err)
				}
				if c.State != from {
					t.Fatalf("state changed to %s on a refused transition", c.State)
				}
			})
		}
	}
}

func TestResolvingClearsNextAction(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for _, to := range []recoup.CaseState{recoup.StateRecovered, recoup.StateClosed, recoup.StateExhausted} {
		c := recoup.Case{State: recoup.StateScheduled, NextAction: &recoup.Action{Seq: 3}}
		if err := c.Transition(to, now); err != nil {
			t.Fatal(err)
		}
		if c.NextAction != nil || !c.ResolvedAt.Equal(now) {
			t.Errorf("%s: next action %v, resolved %v; want none at %v", to, c.NextAction, c.ResolvedAt, now)
		}
	}
}

func TestStateProperties(t *testing.T) {
	for _, s := range recoup.CaseStates {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
		if s.Terminal() && s.Active() {
			t.Errorf("%s both terminal and active", s)
		}
	}
	if recoup.CaseState("bogus").Valid() {
		t.Error("unknown state reported valid")
	}
}

func TestPlanAndKeys(t *testing.T) {
	c := recoup.Case{ID: 7, InvoiceID: "in_1"}
	a1 := c.Plan(recoup.ActionRetry, time.Unix(100, 0), "r")
	a2 := c.Plan(recoup.ActionFinal, time.Unix(200, 0), "f")
	if a1.Seq != 1 || a2.Seq != 2 || c.NextAction.Seq != 2 || c.PlanSeq != 2 {
		t.Fatalf("plan seqs %d %d, next %+v", a1.Seq, a2.Seq, c.NextAction)
	}
	if c.IdempotencyKey(1) == c.IdempotencyKey(2) || c.IdempotencyKey(1) != (&recoup.Case{ID: 7, InvoiceID: "in_1"}).IdempotencyKey(1) {
		t.Fatal("idempotency keys must be distinct per attempt and stable per case")
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		m    recoup.Money
		want string
	}{
		{recoup.Money{Amount: 1234, Currency: "usd"}, "12.34 USD"},
		{recoup.Money{Amount: 5, Currency: "eur"}, "0.05 EUR"},
		{recoup.Money{Amount: 1200, Currency: "jpy"}, "1200 JPY"},
		{recoup.Money{Amount: -250, Currency: "gbp"}, "-2.50 GBP"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestErrorCode(t *testing.T) {
	base := errors.New("boom")
	err := recoup.Errorf(recoup.ENOTFOUND, "case %d: %w", 3, base)
	if recoup.ErrorCode(err) != recoup.ENOTFOUND || !errors.Is(err, base) || !recoup.IsNotFound(err) {
		t.Fatalf("code %q, wraps %v", recoup.ErrorCode(err), errors.Is(err, base))
	}
	if recoup.ErrorCode(base) != recoup.EINTERNAL || recoup.ErrorCode(nil) != "" {
		t.Fatal("plain errors are internal; nil has no code")
	}
}

func TestValidate(t *testing.T) {
	for name, err := range map[string]error{
		"case without invoice":  (&recoup.Case{State: recoup.StateOpen}).Validate(),
		"case in unknown state": (&recoup.Case{InvoiceID: "in_1", State: "lost"}).Validate(),
		"entry without kind":    (&recoup.TimelineEntry{CaseID: 1}).Validate(),
		"entry with bad detail": (&recoup.TimelineEntry{Kind: recoup.EntryEvent, Detail: []byte(`{"a":`)}).Validate(),
		"event without id":      (&recoup.Event{Type: "invoice.paid"}).Validate(),
		"job without kind":      recoup.Job{CaseID: 1}.Validate(),
	} {
		if recoup.ErrorCode(err) != recoup.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	for name, err := range map[string]error{
		"case":  (&recoup.Case{InvoiceID: "in_1", State: recoup.StateOpen}).Validate(),
		"entry": (&recoup.TimelineEntry{Kind: recoup.EntryEvent, Detail: []byte(`{"a":1}`)}).Validate(),
		"event": (&recoup.Event{ID: "evt_1"}).Validate(),
		"job":   recoup.Job{Kind: recoup.JobAct}.Validate(),
	} {
		if err != nil {
			t.Errorf("valid %s refused: %v", name, err)
		}
	}
}
