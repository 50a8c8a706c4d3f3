package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/internal/pgtest"
)

// Migration 00018 redacts the links of the messages stored before they were stored redacted,
// with the pattern updatelink.Redact uses.
func TestMigrationRedactsStoredLinks(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.migrator.UpTo(ctx, 16); err != nil {
		t.Fatal(err)
	}
	const (
		text = "Update: https://pay.example.com/u/AQF1AAAAAAAAAAcAAAAAaeX1gFq0dGVzdG5vbmNl\nStop: https://pay.example.com/unsubscribe/n/AQF4AAAAAAAAAAcAAAAAaeX1gFq0dGVzdG5vbmNl\nHelp: https://acme.example/help"
		html = `<a href="https://pay.example.com/u/AQF1AAAAAAAAAAcAAAAAaeX1gFq0dGVzdG5vbmNl">Update</a>`
	)
	at := time.Unix(0, 0).UTC()
	var id int64
	if err := db.pool.QueryRow(ctx, `INSERT INTO cases (invoice_id, customer_id, subscription_id, customer_email, amount,
		currency, state, category, payment_method_id, new_payment_method_id, attempts, stripe_attempts, plan_seq,
		recovered_by, final_action, closed_reason, created_at, version)
		VALUES ('in_1', 'cus_1', '', '', 100, 'usd', 'scheduled', 'funds', '', '', 1, 1, 1, '', '', '', $1, 1) RETURNING id`, at).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO messages (case_id, invoice_id, customer_id, step, channel, template, tone,
		recipient, subject, body, html, status, error, created_at, sent_at)
		VALUES ($1, 'in_1', 'cus_1', 0, 'email', 't', '', '', 'Your card', $2, $3, 'sent', '', $4, $4)`, id, text, html, at); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var body, h string
	if err := db.pool.QueryRow(ctx, `SELECT body, html FROM messages WHERE case_id = $1`, id).Scan(&body, &h); err != nil {
		t.Fatal(err)
	}
	if want := "Update: [card update link]\nStop: [unsubscribe link]\nHelp: https://acme.example/help"; body != want {
		t.Errorf("body %q, want %q", body, want)
	}
	if want := `<a href="[card update link]">Update</a>`; h != want {
		t.Errorf("html %q, want %q", h, want)
	}
}
