package dashboard_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/policy"
)

// experimentEnv is a dashboard whose policy is the example experiment (stripe against recoup)
// and whose store holds 60 customers of it, 30 per arm, all resolved but the 55th.
func experimentEnv(t *testing.T) (*env, *policy.Policy, *[]*policy.Policy) {
	t.Helper()
	p, err := policy.Load("../policies/examples/experiment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	holder := p
	var set []*policy.Policy
	e := newEnv(t, func(c *dashboard.Config) {
		c.Policy = func() *policy.Policy { return holder }
		c.SetPolicy = func(np *policy.Policy) { holder = np; set = append(set, np) }
	})
	seedExperiment(t, e)
	return e, p, &set
}

// seedExperiment stores the 60 customers of the experiment recoup-vs-stripe.
func seedExperiment(t *testing.T, e *env) {
	t.Helper()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	err := e.store.Tx(t.Context(), func(tx recoup.Tx) error {
		et := tx.(recoup.ExperimentTx)
		if err := et.StartExperiment("recoup-vs-stripe", start); err != nil {
			return err
		}
		for i := range 60 {
			arm := "recoup"
			if i%2 == 0 {
				arm = "stripe"
			}
			at := start.Add(time.Duration(i) * 6 * time.Hour)
			cus := fmt.Sprintf("cus_x%02d", i)
			if err := et.InsertAssignment(&recoup.Assignment{Experiment: "recoup-vs-stripe", CustomerID: cus, Arm: arm, Share: 0.5, AssignedAt: at}); err != nil {
				return err
			}
			c := recoup.Case{InvoiceID: "in_x" + cus, CustomerID: cus, Amount: recoup.Money{Amount: int64(2000 + 100*(i%7)), Currency: "usd"},
				State: recoup.StateExhausted, Category: recoup.CategoryFunds, FirstFailedAt: at, CreatedAt: at, UpdatedAt: at,
				ResolvedAt: at.Add(time.Duration(1+i%9) * 24 * time.Hour), Experiment: "recoup-vs-stripe", Arm: arm}
			if i%3 == 0 || arm == "recoup" && i%5 != 0 {
				c.State = recoup.StateRecovered
			}
			if arm == "stripe" {
				c.StripeAttempts = 1 + i%4
			} else {
				c.Attempts = i % 3
			}
			if i == 54 {
				c.State, c.ResolvedAt = recoup.StateScheduled, time.Time{}
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
}

func TestExperimentPage(t *testing.T) {
	e, _, _ := experimentEnv(t)
	_, _, body := e.as(recoup.RoleAdmin).get("/ui/experiment")
	golden(t, "experiment", "/ui/experiment", body)
	for _, want := range []string{`>Experiment</a>`, "Uplift of recoup over stripe", `<polygon class="band"`, "54 customers with 54 invoices counted", "1 still in progress", "End the experiment"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// A viewer sees the report, not the form.
	status, _, body := e.as(recoup.RoleViewer).get("/ui/experiment")
	if status != http.StatusOK || strings.Contains(body, "End the experiment") || !strings.Contains(body, "Uplift of recoup over stripe") {
		t.Errorf("viewer: %d, form shown %v", status, strings.Contains(body, "End the experiment"))
	}
	status, _, body = e.as(recoup.RoleViewer).get("/ui/experiment.csv?name=recoup-vs-stripe")
	if status != http.StatusOK || !strings.HasPrefix(body, "experiment,currency,arm,") || strings.Count(body, "\n") != 3 {
		t.Errorf("csv: %d\n%s", status, body)
	}
}

// An admin ends the experiment and promotes recoup: audited, recorded in the store, the
// promoted policy put in force and kept in the policy history with its note, and shown to
// copy into the file.
func TestExperimentEndAndPromote(t *testing.T) {
	e, file, set := experimentEnv(t)
	admin := e.as(recoup.RoleAdmin)
	status, loc, body := admin.post("/ui/experiment/end", url.Values{"name": {"recoup-vs-stripe"}, "promote": {"recoup"}})
	if status != http.StatusSeeOther || loc != "/ui/experiment?name=recoup-vs-stripe" {
		t.Fatalf("end: %d %q\n%s", status, loc, body)
	}
	if len(*set) != 1 || (*set)[0].Experiment == nil || (*set)[0].Version == file.Version {
		t.Fatalf("policies put in force: %v", *set)
	}
	want, err := file.Promote("recoup")
	if err != nil {
		t.Fatal(err)
	}
	if (*set)[0].Version != want.Version {
		t.Errorf("in force: version %s, want policy.Promote(recoup)'s %s", (*set)[0].Version, want.Version)
	}
	list, err := e.store.Experiments(t.Context())
	if err != nil || len(list) != 1 || !list[0].Ended() || list[0].EndedBy != "admin@example.com" || list[0].PromotedArm != "recoup" {
		t.Fatalf("experiments: %+v, %v", list, err)
	}
	versions, err := e.store.PolicyVersions(t.Context(), 5)
	if err != nil || len(versions) == 0 || versions[0].Version != want.Version || versions[0].Note != "arm recoup of experiment recoup-vs-stripe promoted by admin@example.com" {
		t.Errorf("policy history: %+v, %v", versions, err)
	}
	audit, err := e.store.Audit(t.Context(), recoup.AuditFilter{})
	if err != nil || len(audit) == 0 || audit[0].Action != "promote_arm" || audit[0].Outcome != "ok" || audit[0].UserEmail != "admin@example.com" ||
		audit[0].Detail != "experiment recoup-vs-stripe ended, arm recoup promoted (from the dashboard)" {
		t.Errorf("audit: %+v, %v", audit, err)
	}
	_, _, body = admin.get(loc)
	if !strings.Contains(body, "The promoted policy") || !strings.Contains(body, "# Promoted from policy version") || strings.Contains(body, "End the experiment") {
		t.Errorf("after the end the page lacks the promoted policy or still offers the form")
	}
	// Ending again is refused, and the refusal audited.
	status, _, body = admin.post("/ui/experiment/end", url.Values{"name": {"recoup-vs-stripe"}})
	if status != http.StatusConflict || !strings.Contains(body, "ended already") {
		t.Errorf("second end: %d\n%s", status, body)
	}
	audit, _ = e.store.Audit(t.Context(), recoup.AuditFilter{})
	if len(audit) < 2 || audit[0].Action != "end_experiment" || !strings.HasPrefix(audit[0].Outcome, "refused: ") {
		t.Errorf("audit of the refusal: %+v", audit)
	}
}

// Under optimize with a fixed arm (policies/examples/optimize.yaml), the page also shows the
// adapting arms together against the fixed arm.
func TestExperimentPageOptimizedAgainstFixedArm(t *testing.T) {
	p, err := policy.Load("../policies/examples/optimize.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *dashboard.Config) { c.Policy = func() *policy.Policy { return p } })
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	arms := []string{"builtin", "ladder-10", "ladder-09", "longer-10", "longer-09"}
	err = e.store.Tx(t.Context(), func(tx recoup.Tx) error {
		et := tx.(recoup.ExperimentTx)
		if err := et.StartExperiment("campaign-optimize", start); err != nil {
			return err
		}
		for i := range 100 {
			arm := arms[i%5]
			at := start.Add(time.Duration(i) * time.Hour)
			cus := fmt.Sprintf("cus_o%03d", i)
			if err := et.InsertAssignment(&recoup.Assignment{Experiment: "campaign-optimize", CustomerID: cus, Arm: arm, Share: 0.2, AssignedAt: at}); err != nil {
				return err
			}
			c := recoup.Case{InvoiceID: "in_" + cus, CustomerID: cus, Amount: recoup.Money{Amount: int64(2000 + 100*(i%7)), Currency: "usd"},
				State: recoup.StateExhausted, Category: recoup.CategoryFunds, FirstFailedAt: at, CreatedAt: at, UpdatedAt: at,
				ResolvedAt: at.Add(24 * time.Hour), Experiment: "campaign-optimize", Arm: arm}
			if i%2 == 0 {
				c.State = recoup.StateRecovered
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
	_, _, body := e.as(recoup.RoleViewer).get("/ui/experiment")
	for _, want := range []string{"The campaign that learns against the fixed arm builtin", "adapting arms together (ladder-10, ladder-09, longer-10, longer-09)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
