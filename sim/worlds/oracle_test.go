package worlds

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup/sim"
)

// No policy collects an invoice the oracle calls unrecoverable, nor by its own charges on the
// card that failed (retry, card updater) one the oracle says charges alone cannot collect (the
// runner's oracle_beaten); without messages, none collects earlier than the oracle.
func TestOracleNeverBeaten(t *testing.T) {
	for _, p := range []policy{daily, sixHourly, days03715, threeRetries, aggressive, fixedWithEmails, dailyEmails} {
		r := simulate(t, 3000, 5, p)
		beaten, early := 0, 0
		for _, f := range r.env.failures {
			o := r.env.outcomes[f.InvoiceID]
			if o.Result != sim.Recovered {
				continue
			}
			if !o.Oracle.Recoverable || (o.By == sim.ByRetry || o.By == sim.ByCardUpdater) && !o.Oracle.ByRetry {
				beaten++
				t.Logf("%s: %s (%s) recovered by %s at %s; oracle %+v", p.name, f.InvoiceID, f.Category, o.By, o.At, o.Oracle)
			}
			if len(p.messages) == 0 && o.At.Before(o.Oracle.At) {
				early++
			}
		}
		if beaten > 0 || early > 0 {
			t.Errorf("%s: oracle beaten on %d invoices, and earlier than its time on %d", p.name, beaten, early)
		}
	}
}

// A policy that knows the hidden state and charges the card that failed once, at the oracle's
// time, collects every invoice the retry route can collect: the oracle is attainable.
func TestOracleAttainable(t *testing.T) {
	want := map[string]time.Time{}
	omniscient := policy{name: "omniscient", omniscient: func(w *Realistic, id string) []time.Time {
		inv := w.active[id]
		end := inv.end
		if !inv.leaveAt.IsZero() && inv.leaveAt.Before(end) {
			end = inv.leaveAt
		}
		if at, ok := inv.retryOracle(end, &w.p); ok {
			want[id] = at
			return []time.Time{at}
		}
		return nil
	}}
	r := simulate(t, 3000, 9, omniscient)
	if len(want) < 600 {
		t.Fatalf("only %d invoices recoverable by retry", len(want))
	}
	for id, at := range want {
		o := r.env.outcomes[id]
		if o.Result != sim.Recovered || o.At.After(at) {
			t.Errorf("%s: oracle says a charge at %s collects it; got %s by %q at %s", id, at, o.Result, o.By, o.At)
		}
	}
}

// The retry oracle agrees with a brute-force scan of single charges every 10 minutes.
func TestOracleMatchesBruteForce(t *testing.T) {
	w, invs := drawInvoices(t, 1500, 21)
	checked := 0
	for _, inv := range invs {
		if inv.base == never && inv.updaterAt.IsZero() {
			continue
		}
		checked++
		at, ok := inv.retryOracle(inv.end, &w.p)
		var grid time.Time
		for t := inv.t0; t.Before(inv.end); t = t.Add(10 * time.Minute) {
			if pass, _, _ := inv.judge(inv.fresh(), t, &w.p); pass {
				grid = t
				break
			}
		}
		switch {
		case !ok && !grid.IsZero():
			t.Errorf("%s (%s): oracle found nothing, a charge at %s passes", inv.id, inv.cat, grid)
		case ok && !grid.IsZero() && grid.Before(at):
			t.Errorf("%s (%s): oracle says %s, a charge at %s passes", inv.id, inv.cat, at, grid)
		case ok:
			if pass, _, _ := inv.judge(inv.fresh(), at, &w.p); !pass {
				t.Errorf("%s (%s): a charge at the oracle's time %s fails", inv.id, inv.cat, at)
			}
		}
	}
	if checked < 500 {
		t.Fatalf("only %d invoices checked", checked)
	}
}

// eachHourMark gives every local hour mark after from and before end, across DST changes and
// in zones of half and quarter hours: the same as finding each from the one before.
func TestEachHourMarkAcrossZoneChanges(t *testing.T) {
	reference := func(from, end time.Time, loc *time.Location) []time.Time {
		var out []time.Time
		for t := from; ; {
			l := t.In(loc)
			next := time.Date(l.Year(), l.Month(), l.Day(), l.Hour()+1, 0, 0, 0, loc)
			if !next.After(t) {
				next = t.Add(time.Hour)
			}
			if !next.Before(end) {
				return out
			}
			out = append(out, next)
			t = next
		}
	}
	for _, name := range []string{"America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu", "UTC", "America/Sao_Paulo"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 40 {
			from := time.Date(2025, time.Month(1+i%12), 1+i%28, i%24, (i*17)%60, 0, 0, time.UTC)
			end := from.Add(time.Duration(24*(20+i)) * time.Hour)
			var got []time.Time
			eachHourMark(from, end, loc, func(h time.Time) bool { got = append(got, h); return true })
			want := reference(from, end, loc)
			if len(got) != len(want) {
				t.Fatalf("%s from %s: %d marks, want %d", name, from, len(got), len(want))
			}
			for k := range got {
				if !got[k].Equal(want[k]) {
					t.Fatalf("%s from %s: mark %d is %s, want %s", name, from, k, got[k], want[k])
				}
			}
		}
	}
}

// No hour of any weekday, with any fatigue of a card charged once, gives a soft decline a
// higher chance than highest: the oracle skips the hour marks of invoices drawn above it.
func TestSoftHighestBoundsEveryHour(t *testing.T) {
	worlds := map[string]RealisticParams{"realistic": DefaultRealisticParams(), "shifted": ShiftedParams()}
	for _, v := range Variants {
		worlds[v.Name] = v.Params()
	}
	for name, p := range worlds {
		inv := &invoice{loc: time.UTC}
		hi, top := p.Soft.highest(), 0.0
		for h := range 24 * 7 {
			at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
			for _, f := range []float64{1, p.Soft.Fatigue24, p.Soft.Fatigue72} {
				x := inv.pSoft(at, &p) * f
				if x > hi {
					t.Errorf("%s: %s with fatigue %.2f gives %.4f, over the bound %.4f", name, at, f, x, hi)
				}
				top = max(top, x)
			}
		}
		if hi > top*1.3 {
			t.Errorf("%s: bound %.4f is far above the highest chance %.4f: it prunes little", name, hi, top)
		}
	}
}
