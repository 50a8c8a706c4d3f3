package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/recoup-hq/recoup"
)

// overviewCurrency is one currency of the overview with its rates, which the domain type
// computes rather than stores.
type overviewCurrency struct {
	recoup.CurrencyOverview
	RateByCount  float64 `json:"rate_by_count"`
	RateByAmount float64 `json:"rate_by_amount"`
}

// overviewBody is the answer of GET /api/v1/analytics/overview (docs/openapi.yaml).
type overviewBody struct {
	recoup.Overview
	Currencies []overviewCurrency `json:"currencies"`
}

// analyticsOverview answers GET /api/v1/analytics/overview?from=YYYY-MM-DD&to=YYYY-MM-DD: the
// cases opened from the first day to the last, both included (UTC). Without dates: the last
// 30 days, today included.
func (s *Server) analyticsOverview(w http.ResponseWriter, r *http.Request) error {
	from, end, err := s.apiPeriod(r)
	if err != nil {
		return err
	}
	o, err := s.analytics.Overview(r.Context(), from, end)
	if err != nil {
		return fmt.Errorf("analytics overview: %w", err)
	}
	out := overviewBody{Overview: o, Currencies: []overviewCurrency{}}
	for _, c := range o.Currencies {
		out.Currencies = append(out.Currencies, overviewCurrency{CurrencyOverview: c, RateByCount: c.RateByCount(), RateByAmount: c.RateByAmount()})
	}
	return writeJSON(w, http.StatusOK, out)
}

// apiPeriod reads ?from=YYYY-MM-DD&to=YYYY-MM-DD, both days included (UTC), as [from, end).
// Without dates: the last 30 days, today included.
func (s *Server) apiPeriod(r *http.Request) (from, end time.Time, err error) {
	q := r.URL.Query()
	today := s.now().UTC().Truncate(24 * time.Hour)
	from, to := today.AddDate(0, 0, -29), today
	if q.Get("from") != "" || q.Get("to") != "" {
		var err1, err2 error
		from, err1 = time.Parse(time.DateOnly, q.Get("from"))
		to, err2 = time.Parse(time.DateOnly, q.Get("to"))
		if err1 != nil || err2 != nil || to.Before(from) {
			return from, to, recoup.Errorf(recoup.EINVALID, "from, to: both must be dates (YYYY-MM-DD), from first")
		}
		if err := recoup.CheckReportDays(from, to); err != nil {
			return from, to, fmt.Errorf("from, to: %w", err)
		}
	}
	return from, to.AddDate(0, 0, 1), nil
}

// campaignStep is one step of GET /api/v1/analytics/campaigns, with its rates.
type campaignStep struct {
	recoup.StepStats
	ClickRate         float64 `json:"click_rate"`
	ClickRecoveryRate float64 `json:"click_recovery_rate"`
	UpdateRate        float64 `json:"update_rate"`
}

// analyticsCampaigns answers GET /api/v1/analytics/campaigns?from=YYYY-MM-DD&to=YYYY-MM-DD: per
// campaign step, the messages sent in the period, clicked, and followed by the customer's
// recovery; the offers customers chose on the card update page and what the messages cost by
// channel, as the dashboard's campaigns page shows them. It is served only for a store that
// records clicks (recoup.CampaignStore).
func (s *Server) analyticsCampaigns(w http.ResponseWriter, r *http.Request) error {
	cs := s.analytics.(recoup.CampaignStore)
	from, end, err := s.apiPeriod(r)
	if err != nil {
		return err
	}
	steps, err := cs.CampaignSteps(r.Context(), from, end)
	if err != nil {
		return fmt.Errorf("analytics campaigns: %w", err)
	}
	out := struct {
		From  time.Time      `json:"from"`
		To    time.Time      `json:"to"`
		Steps []campaignStep `json:"steps"`
		// Offers and Costs are null when the store does not keep them (both shipped stores do).
		Offers []recoup.OfferCount `json:"offers"`
		Costs  []channelCost       `json:"costs"`
	}{From: from, To: end, Steps: []campaignStep{}}
	for _, st := range steps {
		out.Steps = append(out.Steps, campaignStep{StepStats: st, ClickRate: st.ClickRate(), ClickRecoveryRate: st.ClickRecoveryRate(), UpdateRate: st.UpdateRate()})
	}
	if os, ok := s.analytics.(recoup.OfferStore); ok {
		if out.Offers, err = os.OfferCounts(r.Context(), from, end); err != nil {
			return fmt.Errorf("analytics campaigns: offer counts: %w", err)
		}
		out.Offers = append([]recoup.OfferCount{}, out.Offers...)
	}
	if cs, ok := s.analytics.(recoup.CostStore); ok {
		costs, err := cs.ChannelCosts(r.Context(), from, end)
		if err != nil {
			return fmt.Errorf("analytics campaigns: message costs: %w", err)
		}
		out.Costs = []channelCost{}
		for _, c := range costs {
			out.Costs = append(out.Costs, channelCost{ChannelCost: c, PerMessageMicros: c.PerMessageMicros()})
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// channelCost is what one channel's messages cost in GET /api/v1/analytics/campaigns.
type channelCost struct {
	recoup.ChannelCost
	PerMessageMicros int64 `json:"per_message_micros"`
}
