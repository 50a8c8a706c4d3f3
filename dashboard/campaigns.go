package dashboard

import (
	"fmt"
	"net/http"
)

// campaignsPage shows, for the campaign messages created in the period, per campaign step
// (template and step index): how many were sent, clicked, and followed by the customer's own
// recovery (the update rate). It reads messages, not rollups: its cost grows with the
// period's messages, which is why it is a page of its own and not part of the overview.
func (d *Dashboard) campaignsPage(w http.ResponseWriter, r *http.Request, u *viewer) error {
	p, err := parsePeriod(r, d.dataNow())
	if err != nil {
		return err
	}
	data := map[string]any{"Period": p, "Periods": periods}
	if d.cfg.Campaigns == nil {
		d.render(w, r, http.StatusOK, "campaigns", u, data)
		return nil
	}
	steps, err := d.cfg.Campaigns.CampaignSteps(r.Context(), p.From, p.end())
	if err != nil {
		return fmt.Errorf("campaign steps: %w", err)
	}
	data["Steps"] = steps
	data["Available"] = true
	if err := d.campaignExtras(r, p, data); err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "campaigns", u, data)
	return nil
}
