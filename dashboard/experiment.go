package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/expreport"
	"github.com/recoup-hq/recoup/policy"
)

// Experiments reads the experiments' reports for the experiment page (expreport.Reader).
type Experiments interface {
	Experiments(ctx context.Context) ([]recoup.Experiment, error)
	Report(ctx context.Context, name, currency string) (*expreport.Report, error)
}

// hasExperiment reports whether the navigation shows the experiment page: the policy has an
// experiment, or the store knows one.
func (d *Dashboard) hasExperiment(ctx context.Context) bool {
	if d.cfg.Policy != nil {
		if p := d.cfg.Policy(); p != nil && p.Experiment != nil {
			return true
		}
	}
	if d.cfg.Experiments == nil {
		return false
	}
	list, err := d.cfg.Experiments.Experiments(ctx)
	return err == nil && len(list) > 0
}

// experimentPage shows an experiment's report (?name=, default the policy's, else the latest;
// ?currency= when its cases have several), the uplift over time, and to admins the form that
// ends it.
func (d *Dashboard) experimentPage(w http.ResponseWriter, r *http.Request, u *viewer) error {
	return d.showExperiment(w, r, u, http.StatusOK, "")
}

func (d *Dashboard) showExperiment(w http.ResponseWriter, r *http.Request, u *viewer, status int, message string) error {
	if d.cfg.Experiments == nil {
		return recoup.Errorf(recoup.ENOTFOUND, "this server keeps no experiments")
	}
	ctx := r.Context()
	name, currency := r.FormValue("name"), r.FormValue("currency")
	list, err := d.cfg.Experiments.Experiments(ctx)
	if err != nil {
		return fmt.Errorf("experiments: %w", err)
	}
	data := map[string]any{"Experiments": list, "Message": message}
	rep, err := d.cfg.Experiments.Report(ctx, name, currency)
	switch {
	case recoup.ErrorCode(err) == recoup.ENOTFOUND:
		data["Empty"] = err.Error()
		d.render(w, r, status, "experiment", u, data)
		return nil
	case recoup.ErrorCode(err) == recoup.EINVALID && currency == "":
		// Several currencies: the page offers one report per currency.
		data["Problem"] = strings.TrimPrefix(err.Error(), "invalid: ")
		data["Name"] = name
		d.render(w, r, status, "experiment", u, data)
		return nil
	case err != nil:
		return err
	}
	data["Report"] = rep
	data["Name"] = rep.Experiment.Name
	data["Chart"] = upliftChart(rep)
	data["CSV"] = d.prefix + "/experiment.csv?" + queryString("name", rep.Experiment.Name, "currency", currency)
	var pol *policy.Policy
	if d.cfg.Policy != nil {
		pol = d.cfg.Policy()
	}
	if pol != nil && pol.Experiment != nil && pol.Experiment.Name == rep.Experiment.Name {
		if rep.Experiment.PromotedArm != "" {
			data["Promoted"] = string(pol.Source) // the policy in force is the promoted one
		}
		if !rep.Experiment.Ended() {
			data["Arms"] = pol.Experiment.Arms
		}
	}
	d.render(w, r, status, "experiment", u, data)
	return nil
}

// experimentCSV downloads the report, one row per arm.
func (d *Dashboard) experimentCSV(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	if d.cfg.Experiments == nil {
		return recoup.Errorf(recoup.ENOTFOUND, "this server keeps no experiments")
	}
	q := r.URL.Query()
	rep, err := d.cfg.Experiments.Report(r.Context(), q.Get("name"), q.Get("currency"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "recoup-experiment-"+rep.Experiment.Name+".csv"))
	return expreport.WriteCSV(w, rep)
}

// endExperiment ends the experiment of the form, promoting its arm "promote" if one is
// chosen, and records it in the audit log, done or refused.
func (d *Dashboard) endExperiment(w http.ResponseWriter, r *http.Request, u *viewer) error {
	name, arm := r.PostFormValue("name"), r.PostFormValue("promote")
	var pol *policy.Policy
	if d.cfg.Policy != nil {
		pol = d.cfg.Policy()
	}
	action := "end_experiment"
	detail := fmt.Sprintf("experiment %s ended, no arm promoted (from the dashboard)", name)
	if arm != "" {
		action = "promote_arm"
		detail = fmt.Sprintf("experiment %s ended, arm %s promoted (from the dashboard)", name, arm)
	}
	ended, err := expreport.End(r.Context(), d.cfg.Store, pol, d.dataNow(), name, u.User.Email, arm)
	switch code := recoup.ErrorCode(err); code {
	case "":
		d.audit(r, u, action, 0, "ok", detail)
		if ended.Promoted != nil && d.cfg.SetPolicy != nil {
			d.cfg.SetPolicy(ended.Promoted)
		}
		http.Redirect(w, r, d.prefix+"/experiment?"+url.Values{"name": {name}}.Encode(), http.StatusSeeOther)
		return nil
	case recoup.ECONFLICT, recoup.EINVALID, recoup.ENOTFOUND:
		_, msg := statusOf(err)
		d.audit(r, u, action, 0, "refused: "+msg, detail)
		return d.showExperiment(w, r, u, http.StatusConflict, msg)
	default:
		d.audit(r, u, action, 0, "failed: "+code, detail)
		return err
	}
}
