package storetest

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func testSuppressions(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("the first suppression of a customer and channel stands", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_sup", "cus_sup"))
		bounce := recoup.Suppression{CustomerID: "cus_sup", Channel: "email", Reason: recoup.SuppressBounce,
			Detail: "550 5.1.1 no such mailbox", CaseID: c.ID, CreatedAt: base}
		mustTx(t, s, func(tx recoup.Tx) error {
			if err := tx.InsertSuppression(&bounce); err != nil {
				return err
			}
			// A later unsubscribe of the same address changes nothing, and is no error.
			return tx.InsertSuppression(&recoup.Suppression{CustomerID: "cus_sup", Channel: "email",
				Reason: recoup.SuppressUnsubscribe, CreatedAt: base.Add(time.Hour)})
		})
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := tx.Suppression("cus_sup", "email")
			if err != nil {
				return err
			}
			want := bounce
			want.CreatedAt = stored(base)
			wantEqual(t, "Tx.Suppression", want, got)
			return nil
		})
	})
	t.Run("suppressions are per customer and channel", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		mustTx(t, s, func(tx recoup.Tx) error {
			return tx.InsertSuppression(&recoup.Suppression{CustomerID: "cus_a", Channel: "email", Reason: recoup.SuppressUnsubscribe, CreatedAt: base})
		})
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := tx.Suppression("cus_a", "email")
			if err != nil {
				return err
			}
			if got.CaseID != 0 || got.Reason != recoup.SuppressUnsubscribe {
				t.Errorf("Suppression(cus_a, email) = %+v, want an unsubscribe without a case", got)
			}
			for _, k := range [][2]string{{"cus_a", "webhook"}, {"cus_b", "email"}} {
				if _, err := tx.Suppression(k[0], k[1]); !recoup.IsNotFound(err) {
					t.Errorf("Suppression(%s, %s) error = %v, want ENOTFOUND", k[0], k[1], err)
				}
			}
			return nil
		})
	})
	t.Run("an invalid suppression is refused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			return tx.InsertSuppression(&recoup.Suppression{CustomerID: "cus_a", Channel: "email", Reason: "annoyed"})
		})
		if code := recoup.ErrorCode(err); code != recoup.EINVALID {
			t.Errorf("error = %v (code %q), want EINVALID", err, code)
		}
	})
}
