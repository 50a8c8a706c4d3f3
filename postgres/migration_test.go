package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/internal/pgtest"
)

// Migration 00011 re-credits the recoveries recorded before attempts had a card source: the
// old "customer" and "stripe" are renamed, a recovery by recoup's charge on a named payment
// method goes to the card updater (the card that failed, refreshed) or the customer's new card,
// the update rate's messages follow, and so do the overview's rollups.
func TestMigrationCreditsExistingRecoveries(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.migrator.UpTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	at := time.Unix(0, 0).UTC().Add(3 * day)
	for i, c := range []struct{ by, pm, newPM, charged string }{
		{"customer", "pm_1", "", ""},
		{"stripe", "pm_1", "", ""},
		{"recoup_retry", "pm_1", "", ""},       // the default card
		{"recoup_retry", "pm_1", "", "pm_1"},   // the card that failed, refreshed
		{"recoup_retry", "pm_1", "", "pm_new"}, // the customer's new card
		{"", "pm_1", "pm_new", ""},             // open, a new card from the customer waiting
		{"", "pm_1", "pm_1", ""},               // open, the card refreshed waiting
		{"out_of_band", "pm_1", "", ""},
	} {
		state := "recovered"
		if c.by == "" {
			state = "scheduled"
		}
		var id int64
		err := db.pool.QueryRow(ctx, `INSERT INTO cases (invoice_id, customer_id, subscription_id, customer_email, amount,
			currency, state, category, payment_method_id, new_payment_method_id, attempts, stripe_attempts, plan_seq,
			recovered_by, final_action, closed_reason, created_at, resolved_at, version)
			VALUES ($1, 'cus', '', '', 100, 'usd', $2, 'funds', $3, $4, 1, 1, 1, $5, '', '', $6, $7, 1) RETURNING id`,
			"in_"+string(rune('a'+i)), state, c.pm, c.newPM, c.by, at, at.Add(time.Second)).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		if c.by == "recoup_retry" {
			if _, err := db.pool.Exec(ctx, `INSERT INTO attempts (case_id, n, source, idempotency_key, payment_method_id, status)
				VALUES ($1, 1, 'recoup', 'k', $2, 'succeeded')`, id, c.charged); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.pool.Exec(ctx, `INSERT INTO messages (case_id, invoice_id, customer_id, step, channel, template, tone,
			recipient, subject, body, status, error, created_at, sent_at)
			VALUES ($1, '', '', 0, 'email', 't', '', '', '', '', 'sent', '', $2, $2)`, id, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.pool.Query(ctx, `SELECT c.recovered_by, c.new_card_source, m.recovered_at IS NOT NULL
		FROM cases c JOIN messages m ON m.case_id = c.id ORDER BY c.id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		by, newSource string
		update        bool
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.by, &r.newSource, &r.update); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	rows.Close()
	want := []row{
		{"customer_paid", "", true}, {"stripe_retry", "", false}, {"recoup_retry", "", false},
		{"card_updater", "", false}, {"customer_new_card", "", true},
		{"", "customer", false}, {"", "refreshed", false}, {"out_of_band", "", false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("case %d: got %+v, want %+v", i+1, got[i], want[i])
		}
	}
	o, err := NewStore(db, nil).Overview(ctx, time.Unix(0, 0), time.Unix(0, 0).Add(10*day))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Currencies) != 1 || len(o.Currencies[0].ByMechanism) != 6 {
		t.Fatalf("overview from the rollups: %+v, want one case of each mechanism", o.Currencies)
	}
	for _, by := range recoup.RecoveryMechanisms {
		if by == recoup.ByBackupMethod || by == recoup.ByRemainderSettled {
			continue // mechanisms that came after the migration: no case of them to credit
		}
		if tally := o.Currencies[0].ByMechanism[by]; tally != (recoup.Tally{Count: 1, Amount: 100}) {
			t.Errorf("rollup of %s: %+v, want one case of 100", by, tally)
		}
	}
}

// Migration 00023 fills the arms' counters from the cases already resolved: an experiment
// running across the upgrade keeps what its arms have learned.
func TestMigrationCountsExistingArmOutcomes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.migrator.UpTo(ctx, 21); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ experiment, arm, state string }{
		{"tones", "gentle", "recovered"},
		{"tones", "gentle", "recovered"},
		{"tones", "gentle", "exhausted"},
		{"tones", "gentle", "scheduled"}, // open: not counted
		{"tones", "firm", "closed"},
		{"other", "firm", "recovered"},
		{"", "", "recovered"},
	} {
		if _, err := db.pool.Exec(ctx, `INSERT INTO cases (invoice_id, customer_id, subscription_id, customer_email, amount,
			currency, state, category, payment_method_id, new_payment_method_id, attempts, stripe_attempts, plan_seq,
			recovered_by, final_action, closed_reason, version, experiment, arm)
			VALUES ($1, $2, '', '', 100, 'usd', $3, 'funds', '', '', 0, 1, 1, '', '', '', 1, $4, $5)`,
			"in_"+string(rune('a'+i)), "cus_"+string(rune('a'+i)), c.state, c.experiment, c.arm); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.pool.Query(ctx, `SELECT arm, resolved, recovered FROM experiment_arm_outcomes WHERE experiment = 'tones' AND stratum = '' ORDER BY arm`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []recoup.ArmOutcome
	for rows.Next() {
		var o recoup.ArmOutcome
		var res, rec int64
		if err := rows.Scan(&o.Arm, &res, &rec); err != nil {
			t.Fatal(err)
		}
		o.Resolved, o.Recovered = int(res), int(rec)
		got = append(got, o)
	}
	if len(got) != 2 || got[0] != (recoup.ArmOutcome{Arm: "firm", Resolved: 1}) || got[1] != (recoup.ArmOutcome{Arm: "gentle", Resolved: 3, Recovered: 2}) {
		t.Errorf("after the migration: %+v", got)
	}
}
