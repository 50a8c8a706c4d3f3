package worlds

import "github.com/recoup-hq/recoup/sim"

func init() {
	sim.Register("returning", func() sim.World { return NewRealisticWith(ReturningParams()) })
}

// ReturningParams is realistic with customers who come back: half the customers short of funds
// keep their subscription on the same card, and each monthly renewal that falls when their money
// is not there fails again (after the window of the invoice before). A customer's earlier cases
// are then something recoup can learn from: when a retry of their card passed, their money was
// there. The share is an assumption, not a calibrated figure.
func ReturningParams() RealisticParams {
	p := DefaultRealisticParams()
	p.Returning = 0.5
	return p
}
