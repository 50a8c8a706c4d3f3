package sim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
)

func init() {
	sim.Register("test-payday", func() sim.World { return &paydayWorld{} })
	sim.Register("test-payday-even", func() sim.World { return &paydayWorld{evenPays: true} })
}

// paydayWorld is the smallest useful world: every customer is short of funds until two days
// after the failure, then any charge succeeds. Half the customers pay by themselves on day 10 if
// still unpaid, so the customer route shows too.
type paydayWorld struct {
	// evenPays: the customers of the even invoices pay by themselves, not a random half
	// (test-payday-even, whose every outcome is known in advance).
	evenPays bool
	env      sim.Env
	invs     map[string]*paydayInvoice
	seq      int
}

type paydayInvoice struct {
	inv     recoup.Invoice
	failed  time.Time
	results map[string]recoup.PayResult
	settled bool
	selfPay bool
}

func (w *paydayWorld) Start(env sim.Env) error {
	w.env, w.invs = env, map[string]*paydayInvoice{}
	cfg := env.Config()
	step := cfg.End.Sub(cfg.Start) / time.Duration(cfg.Invoices)
	for i := range cfg.Invoices {
		env.At(cfg.Start.Add(time.Duration(i)*step), func() { w.fail(i) })
	}
	return nil
}

func (w *paydayWorld) fail(i int) {
	now := w.env.Now()
	id := fmt.Sprintf("in_%d", i)
	d := &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds", CardBrand: "visa"}
	selfPay := w.env.Rand().IntN(2) == 0
	if w.evenPays {
		selfPay = i%2 == 0
	}
	p := &paydayInvoice{failed: now, results: map[string]recoup.PayResult{}, selfPay: selfPay, inv: recoup.Invoice{
		ID: id, CustomerID: "cus_" + id, SubscriptionID: "sub_" + id, Status: recoup.InvoiceOpen, AmountDue: 1000 + int64(i),
		AmountRemaining: 1000 + int64(i), Currency: "usd", AttemptCount: 1, Attempted: true, CollectionMethod: "charge_automatically",
		LastPayment: &recoup.Payment{PaymentMethodID: "pm_" + id, Status: "requires_payment_method", Decline: d, At: now},
	}}
	w.invs[id] = p
	w.env.Failed(sim.Failure{InvoiceID: id, Amount: p.inv.Remaining(), Category: recoup.CategoryFunds, At: now})
	w.emit("invoice.payment_failed", id)
	w.env.At(now.Add(10*24*time.Hour), func() {
		if p.selfPay && !p.settled {
			w.paid(p, sim.ByCustomerPaid)
		}
	})
	w.env.At(now.Add(w.env.Config().Window), func() {
		if !p.settled {
			p.settled = true
			p.inv.Status = recoup.InvoiceVoid
			w.env.Resolved(sim.Outcome{InvoiceID: id, Result: sim.Unrecovered, At: w.env.Now(), Oracle: w.oracle(p)})
			w.emit("invoice.voided", id)
		}
	})
}

func (w *paydayWorld) oracle(p *paydayInvoice) sim.Oracle {
	return sim.Oracle{Recoverable: true, ByRetry: true, At: p.failed.Add(48 * time.Hour)}
}

func (w *paydayWorld) emit(typ, id string) {
	w.seq++
	w.env.Emit(recoup.Event{ID: fmt.Sprintf("evt_%d", w.seq), Type: typ, ObjectID: id, CustomerID: "cus_" + id})
}

func (w *paydayWorld) paid(p *paydayInvoice, by sim.Mechanism) {
	p.settled = true
	p.inv.Status, p.inv.AmountPaid, p.inv.AmountRemaining = recoup.InvoicePaid, p.inv.AmountDue, 0
	w.env.Resolved(sim.Outcome{InvoiceID: p.inv.ID, Result: sim.Recovered, By: by, Amount: p.inv.AmountDue, At: w.env.Now(), Oracle: w.oracle(p)})
	w.emit("invoice.paid", p.inv.ID)
}

func (w *paydayWorld) Invoice(_ context.Context, id string) (recoup.Invoice, error) {
	p := w.invs[id]
	if p == nil {
		return recoup.Invoice{}, recoup.Errorf(recoup.ENOTFOUND, "no invoice %s", id)
	}
	return p.inv, nil
}

func (w *paydayWorld) Pay(_ context.Context, req recoup.PayRequest) (recoup.PayResult, error) {
	p := w.invs[req.InvoiceID]
	if r, ok := p.results[req.IdempotencyKey]; ok {
		return r, nil
	}
	if p.inv.Status != recoup.InvoiceOpen {
		return recoup.PayResult{}, recoup.Errorf(recoup.EINVALID, "invoice is %s", p.inv.Status)
	}
	p.inv.AttemptCount++
	var r recoup.PayResult
	if w.env.Now().Sub(p.failed) >= 48*time.Hour {
		w.paid(p, sim.ByRetry)
		r.Paid = true
	} else {
		r.Decline = p.inv.LastPayment.Decline
	}
	r.Invoice = p.inv
	p.results[req.IdempotencyKey] = r
	return r, nil
}

func (w *paydayWorld) CancelSubscription(context.Context, string, string) error { return nil }
func (w *paydayWorld) MarkUncollectible(context.Context, string, string) error  { return nil }
func (w *paydayWorld) Send(context.Context, recoup.Message) error               { return nil }

// schedulePolicy is the fixed schedule these tests reason about: days 0, 3, 7, 15 at 10:00.
func schedulePolicy(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("schedule.yaml", []byte("retry: {strategy: schedule, schedule_days: [0, 3, 7, 15], hour: 10, max_attempts: 4, min_gap: 4h}\n"+
		"campaign:\n  hour: 10\n  steps:\n    - {day: 0, template: update_card, tone: helpful, categories: [customer_fix, authentication, hard]}\n"+
		"    - {day: 3, template: payment_failed, tone: gentle}\n    - {day: 7, template: update_card, tone: helpful}\n    - {day: 14, template: suspension_notice, tone: urgent}\n"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runPayday(t *testing.T, pol *policy.Policy, seed uint64) sim.Summary {
	t.Helper()
	return runPaydayShards(t, pol, seed, 1)
}

func runPaydayShards(t *testing.T, pol *policy.Policy, seed uint64, shards int) sim.Summary {
	t.Helper()
	r := sim.Run{World: "test-payday", PolicyName: "p", Policy: pol, Invoices: 60, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Months: 2, Window: 30 * 24 * time.Hour, Seed: seed, Dir: t.TempDir(), Shards: shards}
	s, err := r.Execute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A fixed schedule (days 0, 3, 7, 15 at 10:00) meets a world where money arrives
// two days after the failure: the day-0 charge fails, the day-3 charge succeeds.
func TestRunMeasuresTheEngine(t *testing.T) {
	s := runPayday(t, schedulePolicy(t), 1)
	if s.FailedInvoices != 60 || s.RecoveredInvoices != 60 || s.RecoveredCountPct != 100 || s.RecoveredAmountPct != 100 {
		t.Fatalf("summary: %+v", s)
	}
	// Each invoice is charged on day 0 (declined) and on day 3 (paid), unless it failed after
	// 10:00 and the day-0 slot had passed: then the engine charges at once, 4h min gap aside.
	if s.Attempts != 120 || s.RetrySuccessRate != 50 || s.AttemptsPerRecovery != 2 {
		t.Fatalf("attempts %d, success %.1f%%, per recovery %.2f", s.Attempts, s.RetrySuccessRate, s.AttemptsPerRecovery)
	}
	// Every charge and message counts in its invoice's category, the charge that pays (and so
	// settles the invoice inside the call) included.
	var attempts, messages int
	for _, c := range s.Categories {
		attempts += c.Attempts
		messages += c.MessagesSent
	}
	if attempts != s.Attempts || messages != s.MessagesSent {
		t.Fatalf("categories count %d attempts and %d messages, the run %d and %d", attempts, messages, s.Attempts, s.MessagesSent)
	}
	attempts = 0
	for _, m := range s.Monthly {
		attempts += m.Attempts
		if m.Attempts > 0 && m.RetrySuccessRate != 50 {
			t.Errorf("month %s: retry success %.1f%%, want 50 (one decline, one payment per invoice)", m.Month, m.RetrySuccessRate)
		}
	}
	if attempts != s.Attempts {
		t.Fatalf("months count %d attempts, the run %d", attempts, s.Attempts)
	}
	if s.MedianDaysToRecovery < 2 || s.MedianDaysToRecovery > 4 || s.ByMechanism[sim.ByRetry].Invoices != 60 {
		t.Fatalf("median %.2f days, mechanisms %+v", s.MedianDaysToRecovery, s.ByMechanism)
	}
	if s.OracleBeaten != 0 || s.JobErrors != 0 || s.UnsettledAtEnd != 0 || s.RatioToOracle != 1 {
		t.Fatalf("oracle beaten %d, job errors %d, unsettled %d, ratio %.3f", s.OracleBeaten, s.JobErrors, s.UnsettledAtEnd, s.RatioToOracle)
	}
	if last := s.Curve[len(s.Curve)-1]; last != 100 || s.Curve[0] != 0 {
		t.Fatalf("curve %v", s.Curve)
	}
}

// A policy that never retries leaves the money to the customers who pay by themselves.
func TestRunWithoutRetries(t *testing.T) {
	pol, err := policy.Parse("none.yaml", []byte("retry:\n  max_attempts: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := runPayday(t, pol, 1)
	if s.Attempts != 0 || s.RecoveredInvoices == 0 || s.RecoveredInvoices == 60 || s.ByMechanism[sim.ByCustomerPaid].Invoices != s.RecoveredInvoices {
		t.Fatalf("summary: %+v", s)
	}
	if s.Outcomes[sim.Recovered]+s.Outcomes[sim.Unrecovered] != 60 {
		t.Fatalf("outcomes %v do not add up to 60", s.Outcomes)
	}
}

func TestRunIsDeterministic(t *testing.T) {
	a, b := runPayday(t, schedulePolicy(t), 7), runPayday(t, schedulePolicy(t), 7)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("same seed, different summaries:\n%s\n%s", ja, jb)
	}
	c := runPayday(t, mustParse(t, "retry:\n  max_attempts: 0\n"), 8)
	if reflect.DeepEqual(a.Outcomes, c.Outcomes) {
		t.Fatalf("a different policy and seed gave the same outcomes: the test cannot tell runs apart")
	}
}

func mustParse(t *testing.T, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A run split into shards settles the same invoices, and is as reproducible as one.
func TestShardedRun(t *testing.T) {
	a := runPaydayShards(t, schedulePolicy(t), 5, 3)
	if a.FailedInvoices != 60 || a.RecoveredInvoices != 60 || a.Attempts != 120 || a.Outcomes[sim.Recovered] != 60 {
		t.Fatalf("3 shards: %+v", a)
	}
	b := runPaydayShards(t, schedulePolicy(t), 5, 3)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("sharded runs differ:\n%s\n%s", ja, jb)
	}
	one, plain := runPaydayShards(t, schedulePolicy(t), 5, 1), runPayday(t, schedulePolicy(t), 5)
	if !reflect.DeepEqual(one, plain) {
		t.Fatalf("one shard differs from the plain run")
	}
}
