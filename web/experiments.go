package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/expreport"
)

// ExperimentReports builds experiments' reports (expreport.Reader).
type ExperimentReports interface {
	Report(ctx context.Context, name, currency string) (*expreport.Report, error)
}

// experimentReport answers GET /api/v1/experiments/{name}?currency=&format=csv: the
// experiment's report as JSON (expreport.Report), or as CSV with one row per arm.
func (s *Server) experimentReport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rep, err := s.experiments.Report(r.Context(), r.PathValue("name"), q.Get("currency"))
	if err != nil {
		return fmt.Errorf("experiment report: %w", err)
	}
	switch q.Get("format") {
	case "", "json":
		return writeJSON(w, http.StatusOK, rep)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "experiment-"+rep.Experiment.Name+".csv"))
		return expreport.WriteCSV(w, rep)
	}
	return recoup.Errorf(recoup.EINVALID, "format: json or csv")
}
