package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/expreport"
)

func TestExperimentReportAPI(t *testing.T) {
	e, st := accessEnv(t)
	err := st.Tx(t.Context(), func(tx recoup.Tx) error {
		et := tx.(recoup.ExperimentTx)
		if err := et.StartExperiment("recoup-vs-stripe", testNow.Add(-48*time.Hour)); err != nil {
			return err
		}
		for i, arm := range []string{"stripe", "recoup", "stripe", "recoup"} {
			at := testNow.Add(time.Duration(i-48) * time.Hour)
			cus := fmt.Sprintf("cus_%d", i)
			if err := et.InsertAssignment(&recoup.Assignment{Experiment: "recoup-vs-stripe", CustomerID: cus, Arm: arm, Share: 0.5, AssignedAt: at}); err != nil {
				return err
			}
			c := recoup.Case{InvoiceID: "in_" + cus, CustomerID: cus, Amount: recoup.Money{Amount: 1000, Currency: "usd"}, State: recoup.StateRecovered,
				Category: recoup.CategoryFunds, FirstFailedAt: at, CreatedAt: at, UpdatedAt: at, ResolvedAt: at.Add(time.Hour), Experiment: "recoup-vs-stripe", Arm: arm}
			if i == 2 {
				c.State = recoup.StateExhausted
			}
			if err := tx.CreateCase(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	wantError(t, e.get("/api/v1/experiments/recoup-vs-stripe", ""), http.StatusUnauthorized, recoup.EUNAUTHORIZED)
	wantError(t, e.get("/api/v1/experiments/recoup-vs-stripe", "Bearer nope"), http.StatusUnauthorized, recoup.EUNAUTHORIZED)

	rec := e.get("/api/v1/experiments/recoup-vs-stripe", testToken)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var r expreport.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	// No policy: the arms in the order of their first customers, the first the baseline.
	if r.Customers != 4 || len(r.Arms) != 2 || r.Arms[0].Name != "stripe" || r.Arms[0].RecoveredPct != 50 || r.Arms[1].RecoveredPct != 100 ||
		r.Uplift == nil || r.Uplift.Value != 50 {
		t.Fatalf("report: %s", rec.Body)
	}

	rec = e.get("/api/v1/experiments/recoup-vs-stripe?format=csv", testToken)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Body.String(), "\nrecoup-vs-stripe,usd,stripe,false,true,2,2,2000,1000,50.0000,") {
		t.Fatalf("csv: %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	wantError(t, e.get("/api/v1/experiments/nope", testToken), http.StatusNotFound, recoup.ENOTFOUND)
	wantError(t, e.get("/api/v1/experiments/recoup-vs-stripe?currency=eur", testToken), http.StatusBadRequest, recoup.EINVALID)
	wantError(t, e.get("/api/v1/experiments/recoup-vs-stripe?format=xml", testToken), http.StatusBadRequest, recoup.EINVALID)
}
