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
	q := r.URL.Query()
	today := s.now().UTC().Truncate(24 * time.Hour)
	from, to := today.AddDate(0, 0, -29), today
	if q.Get("from") != "" || q.Get("to") != "" {
		var err1, err2 error
		from, err1 = time.Parse(time.DateOnly, q.Get("from"))
		to, err2 = time.Parse(time.DateOnly, q.Get("to"))
		if err1 != nil || err2 != nil || to.Before(from) {
			return recoup.Errorf(recoup.EINVALID, "from, to: both must be dates (YYYY-MM-DD), from first")
		}
	}
	o, err := s.analytics.Overview(r.Context(), from, to.AddDate(0, 0, 1))
	if err != nil {
		return fmt.Errorf("analytics overview: %w", err)
	}
	out := overviewBody{Overview: o, Currencies: []overviewCurrency{}}
	for _, c := range o.Currencies {
		out.Currencies = append(out.Currencies, overviewCurrency{CurrencyOverview: c, RateByCount: c.RateByCount(), RateByAmount: c.RateByAmount()})
	}
	return writeJSON(w, http.StatusOK, out)
}
