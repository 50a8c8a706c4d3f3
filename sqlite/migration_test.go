package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// Migration 00011 re-credits the recoveries recorded before attempts had a card source: the
// old "customer" and "stripe" are renamed, a recovery by recoup's charge on a named payment
// method goes to the card updater (the card that failed, refreshed) or the customer's new card,
// the update rate's messages follow, and so do the overview's rollups.
func TestMigrationCreditsExistingRecoveries(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "recoup.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.migrator.UpTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.w.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	day := int64(86400000000)
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
		id := int64(i + 1)
		exec(`INSERT INTO cases (id, invoice_id, customer_id, subscription_id, customer_email, amount, currency, state,
			category, payment_method_id, new_payment_method_id, attempts, stripe_attempts, plan_seq, recovered_by,
			final_action, closed_reason, created_at, resolved_at, version)
			VALUES (?, ?, 'cus', '', '', 100, 'usd', ?, 'funds', ?, ?, 1, 1, 1, ?, '', '', ?, ?, 1)`,
			id, "in_"+string(rune('a'+i)), state, c.pm, c.newPM, c.by, 3*day, 3*day+1000)
		if c.by == "recoup_retry" {
			exec(`INSERT INTO attempts (case_id, n, source, idempotency_key, payment_method_id, status)
				VALUES (?, 1, 'recoup', 'k', ?, 'succeeded')`, id, c.charged)
		}
		exec(`INSERT INTO messages (case_id, invoice_id, customer_id, step, channel, template, tone, recipient, subject,
			body, status, error, created_at, sent_at) VALUES (?, '', '', 0, 'email', 't', '', '', '', '', 'sent', '', ?, ?)`,
			id, 3*day, 3*day)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.w.QueryContext(ctx, `SELECT c.recovered_by, c.new_card_source, m.recovered_at IS NOT NULL
		FROM cases c JOIN messages m ON m.case_id = c.id ORDER BY c.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
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
	o, err := NewStore(db, nil).Overview(ctx, time.UnixMicro(0), time.UnixMicro(10*day))
	if err != nil {
		t.Fatal(err)
	}
	wantBy := map[recoup.RecoveredBy]recoup.Tally{}
	for _, by := range []recoup.RecoveredBy{recoup.ByCustomerPaid, recoup.ByStripeRetry, recoup.ByRecoupRetry,
		recoup.ByCardUpdater, recoup.ByCustomerNewCard, recoup.ByOutOfBand} {
		wantBy[by] = recoup.Tally{Count: 1, Amount: 100}
	}
	if len(o.Currencies) != 1 || len(o.Currencies[0].ByMechanism) != len(wantBy) {
		t.Fatalf("overview from the rollups: %+v, want one case of each mechanism", o.Currencies)
	}
	for by, tally := range wantBy {
		if o.Currencies[0].ByMechanism[by] != tally {
			t.Errorf("rollup of %s: %+v, want %+v", by, o.Currencies[0].ByMechanism[by], tally)
		}
	}
}

// Migration 00023 fills the arms' counters from the cases already resolved: an experiment
// running across the upgrade keeps what its arms have learned.
func TestMigrationCountsExistingArmOutcomes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "recoup.db"))
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
		if _, err := db.w.ExecContext(ctx, `INSERT INTO cases (invoice_id, customer_id, subscription_id, customer_email, amount, currency, state,
			category, payment_method_id, new_payment_method_id, attempts, stripe_attempts, plan_seq, recovered_by,
			final_action, closed_reason, version, experiment, arm)
			VALUES (?, ?, '', '', 100, 'usd', ?, 'funds', '', '', 0, 1, 1, '', '', '', 1, ?, ?)`,
			fmt.Sprintf("in_%d", i), fmt.Sprintf("cus_%d", i), c.state, c.experiment, c.arm); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := NewStore(db, nil)
	err = s.Tx(ctx, func(tx recoup.Tx) error {
		got, err := tx.(recoup.ExperimentTx).ArmOutcomes("tones", "")
		if err != nil {
			return err
		}
		want := []recoup.ArmOutcome{{Arm: "firm", Resolved: 1}, {Arm: "gentle", Resolved: 3, Recovered: 2}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after the migration: %+v, want %+v", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
