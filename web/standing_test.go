package web

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// GET /api/v1/customers/{id}/access answers the engine's access signal for the customer, to
// any user's token, and only with one.
func TestCustomerAccessAPI(t *testing.T) {
	e, st := accessEnv(t)
	failed := testNow.Add(-48 * time.Hour)
	err := st.Tx(t.Context(), func(tx recoup.Tx) error {
		c := recoup.Case{InvoiceID: "in_1", CustomerID: "cus_1", Amount: recoup.Money{Amount: 2500, Currency: "usd"}, State: recoup.StateScheduled,
			Category: recoup.CategoryFunds, FirstFailedAt: failed, CreatedAt: failed, UpdatedAt: failed}
		return tx.CreateCase(&c)
	})
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, e.get("/api/v1/customers/cus_1/access", ""), http.StatusUnauthorized, recoup.EUNAUTHORIZED)
	viewer := userToken(t, st, "viewer@example.com", recoup.RoleViewer, false)
	rec := e.get("/api/v1/customers/cus_1/access", viewer)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var a recoup.AccessSignal
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if a.Status != recoup.StandingGrace || a.InvoiceID != "in_1" || !a.FailedAt.Equal(failed) || a.Reason == "" {
		t.Errorf("access %+v", a)
	}
	rec = e.get("/api/v1/customers/cus_unknown/access", testToken)
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Status != recoup.StandingGood {
		t.Errorf("unknown customer: %s %v", rec.Body, err)
	}
}
