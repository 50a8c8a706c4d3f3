package storetest

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func fullNotice(key string) recoup.Notice {
	return recoup.Notice{
		Kind: recoup.NoticeCardExpiring, Key: key, CustomerID: "cus_n", SubscriptionID: "sub_n", PaymentMethodID: "pm_n",
		DueAt: base.Add(30 * 24 * time.Hour), Channel: "email", Status: recoup.MessagePending, CreatedAt: base,
	}
}

func storedNotice(n recoup.Notice) recoup.Notice {
	n.DueAt, n.CreatedAt, n.SentAt = stored(n.DueAt), stored(n.CreatedAt), stored(n.SentAt)
	return n
}

func testNotices(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("notices round-trip by id and key, and update", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		n := fullNotice("cus_n/pm_n/2026-04-13")
		inv := recoup.Notice{Kind: recoup.NoticeInvoiceDue, Key: "in_n/-3", CustomerID: "cus_n", InvoiceID: "in_n",
			DueAt: base, Channel: "email", Status: recoup.MessagePending}
		mustTx(t, s, func(tx recoup.Tx) error {
			if err := tx.InsertNotice(&n); err != nil {
				return err
			}
			return tx.InsertNotice(&inv)
		})
		if n.ID == 0 || inv.ID == 0 || n.ID == inv.ID {
			t.Fatalf("ids %d %d", n.ID, inv.ID)
		}
		sent := n
		sent.To, sent.Subject, sent.Text, sent.HTML = "ada@example.com", "Your card expires", "Hello", "<p>Hello</p>"
		sent.Status, sent.SentAt = recoup.MessageSent, base.Add(time.Minute)
		mustTx(t, s, func(tx recoup.Tx) error { return tx.UpdateNotice(&sent) })
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := tx.Notice(n.ID)
			if err != nil {
				return err
			}
			wantEqual(t, "Tx.Notice", storedNotice(sent), got)
			got, err = tx.NoticeByKey(recoup.NoticeInvoiceDue, "in_n/-3")
			if err != nil {
				return err
			}
			wantEqual(t, "Tx.NoticeByKey", storedNotice(inv), got)
			return nil
		})
	})
	t.Run("a second notice of a kind and key conflicts, the transaction goes on", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		n := fullNotice("k")
		mustTx(t, s, func(tx recoup.Tx) error { return tx.InsertNotice(&n) })
		mustTx(t, s, func(tx recoup.Tx) error {
			dup := fullNotice("k")
			wantCode(t, tx.InsertNotice(&dup), recoup.ECONFLICT)
			other := fullNotice("k")
			other.Kind, other.InvoiceID = recoup.NoticeInvoiceDue, "in_k" // the same key of another kind
			return tx.InsertNotice(&other)
		})
	})
	t.Run("missing and invalid notices", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			if _, err := tx.Notice(404); !recoup.IsNotFound(err) {
				t.Errorf("Notice(404) error = %v, want ENOTFOUND", err)
			}
			if _, err := tx.NoticeByKey(recoup.NoticeCardExpiring, "nope"); !recoup.IsNotFound(err) {
				t.Errorf("NoticeByKey error = %v, want ENOTFOUND", err)
			}
			bad := fullNotice("")
			wantCode(t, tx.InsertNotice(&bad), recoup.EINVALID)
			missing := fullNotice("m")
			missing.ID = 404
			wantCode(t, tx.UpdateNotice(&missing), recoup.ENOTFOUND)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
