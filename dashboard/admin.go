package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/policy"
)

// policyHistoryLimit bounds the versions the policy page lists.
const policyHistoryLimit = 50

// policyPage shows the policy in force as the engine understood it, its source, and the
// versions the service has run, the one in force marked.
func (d *Dashboard) policyPage(w http.ResponseWriter, r *http.Request, u *viewer) error {
	data := map[string]any{"Active": ""}
	if d.cfg.Policy != nil {
		if p := d.cfg.Policy(); p != nil {
			data["Policy"] = p
			data["Source"] = string(p.Source)
			data["Active"] = p.Version
			data["ArmRules"] = armRules(p)
			lim := p.Network
			data["VisaCap"], data["CaseBudget"] = decline.DefaultVisaReattempts30d, decline.DefaultCaseBudget
			if lim.VisaReattempts30d > 0 {
				data["VisaCap"] = min(lim.VisaReattempts30d, decline.MaxVisaReattempts30d)
			}
			if lim.CaseBudget > 0 {
				data["CaseBudget"] = lim.CaseBudget
			}
		}
	}
	if d.cfg.PolicyHistory != nil {
		versions, err := d.cfg.PolicyHistory.PolicyVersions(r.Context(), policyHistoryLimit)
		if err != nil {
			return fmt.Errorf("policy history: %w", err)
		}
		data["History"] = versions
	}
	d.render(w, r, http.StatusOK, "policy", u, data)
	return nil
}

// armRule is the rules a policy arm of the experiment runs, for the policy page.
type armRule struct {
	Name  string
	Rules policy.Rules
}

// armRules are the default segment's rules in each arm of the experiment that overrides any:
// the segment's rules with the arm's settings on top (every segment takes them the same way).
func armRules(p *policy.Policy) []armRule {
	if p.Experiment == nil {
		return nil
	}
	var out []armRule
	for _, a := range p.Experiment.Arms {
		if !a.Control && len(a.Overrides) > 0 {
			out = append(out, armRule{Name: "default, in arm " + a.Name + " (the arm's settings on top)", Rules: p.ForCase(policy.DefaultSegment, a.Name).Rules})
		}
	}
	return out
}

func (d *Dashboard) auditPage(w http.ResponseWriter, r *http.Request, u *viewer) error {
	f := recoup.AuditFilter{Limit: 100}
	if b := r.URL.Query().Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			return recoup.Errorf(recoup.EINVALID, "before must be an audit entry id")
		}
		f.Before = n
	}
	entries, err := d.cfg.Access.Audit(r.Context(), f)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	data := map[string]any{"Entries": entries}
	if len(entries) == f.Limit {
		data["NextURL"] = d.prefix + "/audit?before=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	d.render(w, r, http.StatusOK, "audit", u, data)
	return nil
}

// StripeKey is what Stripe's answers say of the API key, for the operations page.
type StripeKey struct {
	// Answered is false until Stripe has answered a request.
	Answered bool
	// Refused is true while Stripe refuses the key (its latest answer was 401).
	Refused bool
	// Since is when Stripe started to refuse or to accept the key.
	Since time.Time
	// Problem is what Stripe answered, while it refuses the key (no key in it).
	Problem string
	// Denied are the requests Stripe refuses for a permission a restricted key lacks.
	Denied []StripeDenial
}

// StripeDenial is a kind of request Stripe refuses for a permission the key lacks.
type StripeDenial struct {
	Request string    // what recoup asked, in words ("get subscription")
	At      time.Time // the latest refusal
	Problem string    // what Stripe answered, naming the permission
}

// counter is one series of a metric, for the operations page.
type counter struct {
	Name, Labels string
	Value        float64
}

// operationsPage shows whether Stripe accepts the API key, webhook intake and, when metrics
// are wired, the counters of rejected deliveries and Stripe errors since the process started.
func (d *Dashboard) operationsPage(w http.ResponseWriter, r *http.Request, u *viewer) error {
	intake, err := d.cfg.Analytics.Intake(r.Context())
	if err != nil {
		return fmt.Errorf("intake status: %w", err)
	}
	data := map[string]any{"Intake": intake, "Now": d.dataNow(), "RiverUI": d.cfg.RiverUI != nil}
	if d.cfg.StripeKey != nil {
		data["StripeKey"] = d.cfg.StripeKey()
	}
	if !intake.LastReceivedAt.IsZero() {
		data["Since"] = d.dataNow().Sub(intake.LastReceivedAt).Round(time.Second).String()
	}
	if !intake.OldestPendingAt.IsZero() {
		data["Lag"] = d.dataNow().Sub(intake.OldestPendingAt).Round(time.Second).String()
	}
	if d.cfg.Metrics != nil {
		families, err := d.cfg.Metrics.Gather()
		if err != nil {
			d.log.WarnContext(r.Context(), "gather metrics", "error", err.Error())
		}
		var counters []counter
		for _, mf := range families {
			name := mf.GetName()
			if !strings.HasSuffix(name, "webhooks_received_total") && !strings.HasSuffix(name, "webhooks_rejected_total") &&
				!strings.HasSuffix(name, "stripe_errors_total") && !strings.HasSuffix(name, "webhooks_duplicate_total") {
				continue
			}
			for _, m := range mf.GetMetric() {
				counters = append(counters, counter{Name: name, Labels: labels(m), Value: m.GetCounter().GetValue()})
			}
		}
		data["Counters"] = counters
	}
	d.render(w, r, http.StatusOK, "operations", u, data)
	return nil
}

func labels(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, ", ")
}
