package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/recoup-hq/recoup"
)

// Standing answers a customer's access signal (engine.Engine implements it).
type Standing interface {
	Access(ctx context.Context, now time.Time, customerID string) (recoup.AccessSignal, error)
}

// maxCustomerID bounds the path parameter: Stripe's ids are far shorter.
const maxCustomerID = 255

// customerAccess answers GET /api/v1/customers/{id}/access: good_standing, grace or restricted,
// with the case and its dates (docs/openapi.yaml). A customer recoup never heard of is in good
// standing.
func (s *Server) customerAccess(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if id == "" || len(id) > maxCustomerID {
		return recoup.Errorf(recoup.EINVALID, "id: must be a Stripe customer id (cus_...)")
	}
	a, err := s.standing.Access(r.Context(), s.now(), id)
	if err != nil {
		return fmt.Errorf("access of customer %s: %w", id, err)
	}
	return writeJSON(w, http.StatusOK, a)
}
