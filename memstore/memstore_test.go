package memstore_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/memstore"
)

var at = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func mustTx(t *testing.T, s *memstore.Store, fn func(tx recoup.Tx) error) {
	t.Helper()
	if err := s.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func newCase(invoice, customer string) recoup.Case {
	return recoup.Case{InvoiceID: invoice, CustomerID: customer, Amount: recoup.Money{Amount: 100, Currency: "usd"},
		State: recoup.StateOpen, Category: recoup.CategoryFunds, CreatedAt: at, UpdatedAt: at}
}

// writeAll makes one of every write a transaction can make, on the case c, and returns the
// IDs it got: a case, a timeline entry, an attempt, a message, an observation, a notice and a
// history import.
func writeAll(tx recoup.Tx, c recoup.Case, suffix string) ([]int64, error) {
	n := newCase("in_"+suffix, "cus_"+suffix)
	e := recoup.TimelineEntry{CaseID: c.ID, At: at, Kind: recoup.EntryEvent, Summary: "x", Detail: []byte(`{"a":1}`)}
	a := recoup.Attempt{CaseID: c.ID, N: 1, Source: recoup.SourceRecoup, Status: recoup.AttemptPending, StartedAt: at}
	m := recoup.Message{CaseID: c.ID, Step: 0, Channel: "email", Status: recoup.MessagePending, CreatedAt: at}
	o := recoup.Observation{Model: "timing", Kind: recoup.ObserveOutcome, Features: []string{"bias"}, At: at}
	no := recoup.Notice{Kind: recoup.NoticeCardExpiring, Key: "k" + suffix, CustomerID: "cus_1", DueAt: at, Channel: "email",
		Status: recoup.MessagePending, CreatedAt: at}
	h := recoup.HistoryImport{Since: at, Phase: "charges", StartedAt: at, UpdatedAt: at}
	et := tx.(recoup.ExperimentTx)
	steps := []func() error{
		func() error { return tx.CreateCase(&n) },
		func() error { return tx.AppendTimeline(&e) },
		func() error { return tx.InsertAttempt(&a) },
		func() error { return tx.InsertMessage(&m) },
		func() error { return tx.AddObservation(&o) },
		func() error { return tx.InsertNotice(&no) },
		func() error { return tx.SaveHistoryImport(&h) },
		func() error { _, err := tx.InsertEvent(&recoup.Event{ID: "evt_" + suffix}); return err },
		func() error { return tx.SetCursor("c", suffix) },
		func() error {
			return tx.InsertSuppression(&recoup.Suppression{CustomerID: "cus_" + suffix, Channel: "email", Reason: recoup.SuppressBounce, CreatedAt: at})
		},
		func() error {
			return tx.RecordPaymentMethodChange(&recoup.PaymentMethodChange{CustomerID: "cus_" + suffix, PaymentMethodID: "pm", At: at})
		},
		func() error {
			return tx.SaveModelSnapshot(recoup.ModelSnapshot{Model: "m" + suffix, UpTo: 1, State: []byte("{}"), At: at})
		},
		func() error {
			_, err := tx.AddHistoryCharges([]recoup.HistoricalCharge{{ID: "ch_" + suffix, CustomerID: "cus_" + suffix, Created: at}})
			return err
		},
		func() error {
			return tx.SaveHistoryInvoice(recoup.PastInvoice{ID: "hin_" + suffix, CustomerID: "cus_" + suffix, FirstFailedAt: at,
				Ended: "paid", EndedAt: at, Attempts: []recoup.HistoryCharge{{HistoricalCharge: recoup.HistoricalCharge{ID: "ch_" + suffix}}}})
		},
		func() error { return et.StartExperiment("x"+suffix, at) },
		func() error {
			return et.InsertAssignment(&recoup.Assignment{Experiment: "x" + suffix, CustomerID: "cus_" + suffix, Arm: "a", Share: 1, AssignedAt: at})
		},
		func() error {
			return tx.(recoup.SMSConsents).PutSMSConsent(&recoup.SMSConsent{Phone: "+1555" + suffix, Consented: true,
				Source: recoup.ConsentStripe, UpdatedAt: at})
		},
		func() error {
			return tx.(recoup.CostRecorder).RecordMessageCost(recoup.MessageCost{MessageID: m.ID, CaseID: c.ID, Channel: "sms", At: at})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return []int64{n.ID, e.ID, a.ID, m.ID, o.ID, no.ID, h.ID}, nil
}

// A rolled-back transaction leaves no trace of any write, and the next transaction gets the
// IDs it had (as SQLite's store does), so that a run's IDs do not depend on the store.
func TestRollbackLeavesNothing(t *testing.T) {
	s := memstore.New(func(context.Context, []recoup.Job) error { return nil })
	var c recoup.Case
	mustTx(t, s, func(tx recoup.Tx) error { c = newCase("in_1", "cus_1"); return tx.CreateCase(&c) })

	var rolledBack []int64
	boom := errors.New("boom")
	err := s.Tx(context.Background(), func(tx recoup.Tx) error {
		ids, err := writeAll(tx, c, "a")
		rolledBack = ids
		if err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx: %v, want the function's error", err)
	}
	var again []int64
	mustTx(t, s, func(tx recoup.Tx) error {
		for _, read := range []func() error{
			func() error { _, err := tx.CaseByInvoice("in_a"); return err },
			func() error { _, err := tx.Event("evt_a"); return err },
			func() error { _, err := tx.Suppression("cus_a", "email"); return err },
			func() error { _, err := tx.PaymentMethodChange("cus_a"); return err },
			func() error { _, err := tx.ModelSnapshot("ma"); return err },
			func() error { _, err := tx.NoticeByKey(recoup.NoticeCardExpiring, "ka"); return err },
			func() error { _, err := tx.HistoryImport(); return err },
			func() error { _, err := tx.(recoup.ExperimentTx).Experiment("xa"); return err },
			func() error { _, err := tx.(recoup.ExperimentTx).Assignment("xa", "cus_a"); return err },
			func() error { _, err := tx.(recoup.SMSConsents).SMSConsent("+1555a"); return err },
		} {
			if err := read(); !recoup.IsNotFound(err) {
				t.Errorf("a read after the rollback: %v, want not found", err)
			}
		}
		if v, _ := tx.Cursor("c"); v != "" {
			t.Errorf("cursor after the rollback: %q", v)
		}
		if n, _ := tx.CountCustomerCases("cus_a"); n != 0 {
			t.Errorf("cases of the rolled-back customer: %d", n)
		}
		if obs, _ := tx.Observations("timing", 0, 10); len(obs) != 0 {
			t.Errorf("observations after the rollback: %+v", obs)
		}
		if ch, _ := tx.HistoryCharges(nil, []string{"ch_a"}); len(ch) != 0 {
			t.Errorf("charges after the rollback: %+v", ch)
		}
		if past, _ := tx.PastInvoices("cus_a", at.Add(time.Hour), 10); len(past) != 0 {
			t.Errorf("past invoices after the rollback: %+v", past)
		}
		var err error
		again, err = writeAll(tx, c, "b")
		return err
	})
	if !reflect.DeepEqual(rolledBack, again) {
		t.Errorf("IDs after a rollback: %v, want those of the rolled-back transaction %v", again, rolledBack)
	}
	if d, err := s.CaseDetail(context.Background(), c.ID); err != nil || len(d.Timeline) != 1 || len(d.Attempts) != 1 || len(d.Messages) != 1 {
		t.Errorf("the case's history: %+v, %v; want one entry, attempt and message", d, err)
	}
	if costs, _ := s.ChannelCosts(context.Background(), at, at.Add(time.Hour)); len(costs) != 1 || costs[0].Messages != 1 {
		t.Errorf("costs: %+v, want the committed message's only", costs)
	}
}

// A panic in the function rolls the transaction back, and goes on.
func TestPanicRollsBack(t *testing.T) {
	s := memstore.New(nil)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic did not reach the caller")
			}
		}()
		_ = s.Tx(context.Background(), func(tx recoup.Tx) error {
			c := newCase("in_p", "cus_p")
			if err := tx.CreateCase(&c); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if page, err := s.Cases(context.Background(), recoup.CaseFilter{}); err != nil || len(page.Cases) != 0 {
		t.Fatalf("cases after the panic: %+v, %v", page.Cases, err)
	}
	mustTx(t, s, func(tx recoup.Tx) error { return nil }) // the lock was released
}

// What a caller changes after a write or a read changes nothing stored.
func TestValuesAreCopied(t *testing.T) {
	s := memstore.New(nil)
	c := newCase("in_1", "cus_1")
	c.LastDecline = &recoup.Decline{Code: "card_declined"}
	c.NextAction = &recoup.Action{Seq: 1, Kind: recoup.ActionRetry, At: at}
	ev := recoup.Event{ID: "evt_1", Changed: []string{"email"}, Payload: []byte(`{"a":1}`)}
	detail := []byte(`{"a":1}`)
	features := []string{"bias"}
	state := []byte(`{"w":1}`)
	mustTx(t, s, func(tx recoup.Tx) error {
		if err := tx.CreateCase(&c); err != nil {
			return err
		}
		if _, err := tx.InsertEvent(&ev); err != nil {
			return err
		}
		if err := tx.AppendTimeline(&recoup.TimelineEntry{CaseID: c.ID, Kind: recoup.EntryEvent, Summary: "s", Detail: detail}); err != nil {
			return err
		}
		if err := tx.InsertAttempt(&recoup.Attempt{CaseID: c.ID, N: 1, Source: recoup.SourceRecoup, Status: recoup.AttemptDeclined,
			Decline: c.LastDecline}); err != nil {
			return err
		}
		if err := tx.AddObservation(&recoup.Observation{Model: "timing", Kind: recoup.ObserveOutcome, Features: features}); err != nil {
			return err
		}
		return tx.SaveModelSnapshot(recoup.ModelSnapshot{Model: "timing", UpTo: 1, State: state})
	})
	// The caller's values change after the writes.
	c.LastDecline.Code, c.NextAction.Seq = "changed", 9
	ev.Changed[0], ev.Payload[0] = "changed", 'X'
	detail[0], features[0], state[0] = 'X', "changed", 'X'

	read := func() (recoup.Case, recoup.Event, []recoup.TimelineEntry, []recoup.Attempt, []recoup.Observation, recoup.ModelSnapshot) {
		t.Helper()
		ctx := context.Background()
		rc, err := s.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		re, err := s.Event(ctx, "evt_1")
		if err != nil {
			t.Fatal(err)
		}
		tl, err := s.Timeline(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		as, err := s.Attempts(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var obs []recoup.Observation
		var snap recoup.ModelSnapshot
		mustTx(t, s, func(tx recoup.Tx) error {
			if obs, err = tx.Observations("timing", 0, 10); err != nil {
				return err
			}
			snap, err = tx.ModelSnapshot("timing")
			return err
		})
		return rc, re, tl, as, obs, snap
	}
	check := func(when string) {
		t.Helper()
		rc, re, tl, as, obs, snap := read()
		switch {
		case rc.LastDecline.Code != "card_declined" || rc.NextAction.Seq != 1:
			t.Errorf("%s: the case: %+v, %+v", when, rc.LastDecline, rc.NextAction)
		case re.Changed[0] != "email" || string(re.Payload) != `{"a":1}`:
			t.Errorf("%s: the event: %q, %q", when, re.Changed, re.Payload)
		case string(tl[0].Detail) != `{"a":1}`:
			t.Errorf("%s: the timeline detail: %s", when, tl[0].Detail)
		case as[0].Decline.Code != "card_declined":
			t.Errorf("%s: the attempt's decline: %+v", when, as[0].Decline)
		case obs[0].Features[0] != "bias":
			t.Errorf("%s: the observation's features: %q", when, obs[0].Features)
		case string(snap.State) != `{"w":1}`:
			t.Errorf("%s: the snapshot: %s", when, snap.State)
		}
	}
	check("after the caller changed what it wrote")
	// The values read change: what is stored does not.
	rc, re, tl, as, obs, snap := read()
	rc.LastDecline.Code, rc.NextAction.Seq = "changed", 9
	re.Changed[0], re.Payload[0] = "changed", 'X'
	tl[0].Detail[0], as[0].Decline.Code, obs[0].Features[0], snap.State[0] = 'X', "changed", "changed", 'X'
	check("after the caller changed what it read")
}

// A transaction used after its function returned refuses: its writes would escape it.
func TestEndedTransactionRefuses(t *testing.T) {
	s := memstore.New(nil)
	var kept recoup.Tx
	mustTx(t, s, func(tx recoup.Tx) error { kept = tx; return nil })
	c := newCase("in_late", "cus_late")
	if err := kept.CreateCase(&c); recoup.ErrorCode(err) != recoup.EINTERNAL {
		t.Fatalf("CreateCase on an ended transaction: %v, want EINTERNAL", err)
	}
	if err := kept.Enqueue(recoup.Job{Kind: recoup.JobAct}); recoup.ErrorCode(err) != recoup.EINTERNAL {
		t.Fatalf("Enqueue on an ended transaction: %v, want EINTERNAL", err)
	}
}
