package experiment

import (
	"fmt"
	"math"
	"strconv"
)

// Verdict is what the confidence sequence of the uplift says so far.
type Verdict string

const (
	// VerdictAhead: the whole sequential interval is above 0.
	VerdictAhead Verdict = "recoup arm ahead"
	// VerdictBehind: the whole sequential interval is below 0.
	VerdictBehind Verdict = "control ahead"
	// VerdictUndecided: the sequential interval holds 0 (or there are too few customers).
	VerdictUndecided Verdict = "no difference detected yet"
)

// Needed is the projection of how much longer an undecided experiment has to run.
type Needed struct {
	// Effect is the uplift, in percentage points, the projection aims to detect: the
	// observed |uplift|, or Config.MinDetectable when the observed one is smaller.
	Effect float64
	// Customers and Invoices are how many more of each the experiment needs before the
	// sequential interval's half-width falls below Effect, at the current variance per
	// customer, the arms' latest shares and the current invoices per customer. Zero once a
	// verdict is reached.
	Customers, Invoices int64
	// Unlikely is true when the observed uplift is below Config.MinDetectable: a verdict
	// may never come, and Customers and Invoices are those for detecting MinDetectable.
	Unlikely bool
	// Beyond is true when even 10^12 customers would not do (no variance estimate yet, or
	// an effect of 0).
	Beyond bool
}

// Uplift is the difference in amount-weighted recovery between Treatment and Control, in
// percentage points of the failed amount.
type Uplift struct {
	Treatment, Control string
	Estimate
	Verdict Verdict
	Needed  Needed
}

// Uplift returns the uplift of the treatment arm over the control as of the units seen.
//
// The estimate is Δ = θ_T - θ_C with θ_a = Σ_{i in a} R_i/π_i ÷ Σ_{i in a} F_i/π_i, where π_i is
// the unit's Share. Its linearization (delta method) over all n units is
//
//	Δ̂ - Δ ≈ (1/n) Σ_i ψ_i,  ψ_i = 1{A_i=T}(R_i - θ_T F_i)/(π_i m_T) - 1{A_i=C}(R_i - θ_C F_i)/(π_i m_C)
//
// with m_a = (1/n) Σ_{i in a} F_i/π_i. Because π_i is fixed before unit i's arm is drawn, the
// terms 1{A_i=a}Y_i/π_i - Y_i(a) have mean 0 given everything before unit i, whatever the
// allocation did with earlier outcomes: their sum is a martingale. So the influence values are
// martingale differences and the asymptotic confidence sequence of Waudby-Smith et al. (2024)
// applies to their running mean, with σ̂² = (1/n) Σ ψ_i² (the ψ_i sum to 0 exactly). The ψ_i
// are per customer, invoices summed, which is the clustering by customer.
func (m *Monitor) Uplift() Uplift {
	t, c := m.treatment(), m.cfg.Control
	up := Uplift{Treatment: t, Control: c, Verdict: VerdictUndecided}
	st, sc := m.arms[t], m.arms[c]
	if st == nil || sc == nil || st.units == 0 || sc.units == 0 {
		up.Needed = Needed{Effect: m.cfg.MinDetectable, Unlikely: true, Beyond: true}
		return up
	}
	n := float64(m.n)
	sqT, perT := st.influence(n)
	sqC, perC := sc.influence(n)
	up.Estimate = m.estimate(st.rate()-sc.rate(), sqT+sqC)
	if st.units < m.cfg.MinCustomers || sc.units < m.cfg.MinCustomers {
		up.Estimate.Ready = false
		up.Sequential, up.Fixed = Interval{}, Interval{}
	}
	switch {
	case up.Ready && up.Sequential.Low > 0:
		up.Verdict = VerdictAhead
	case up.Ready && up.Sequential.High < 0:
		up.Verdict = VerdictBehind
	}
	// The variance per customer if the future keeps the arms' latest shares: an arm with
	// share π contributes E[(R-θF)²]/(π m²) per customer.
	perUnit := perT/st.lastShare + perC/sc.lastShare
	up.Needed = m.needed(up, perUnit)
	return up
}

// needed projects the customers at which 100·σ·margin(n) falls to the effect aimed at.
func (m *Monitor) needed(up Uplift, perUnit float64) Needed {
	nd := Needed{Effect: math.Abs(up.Value)}
	if up.Verdict != VerdictUndecided {
		return nd
	}
	if nd.Effect < m.cfg.MinDetectable {
		nd.Effect, nd.Unlikely = m.cfg.MinDetectable, true
	}
	sd := 100 * math.Sqrt(perUnit)
	width := func(n float64) float64 { return sd * margin(n, m.rho2, m.cfg.Alpha) }
	const most = 1e12
	if nd.Effect <= 0 || sd == 0 || width(most) > nd.Effect {
		nd.Beyond = true
		return nd
	}
	// margin decreases in n: bisect on the smallest n whose width is within the effect.
	lo, hi := float64(m.n), most
	if lo < 1 {
		lo = 1
	}
	if width(lo) <= nd.Effect {
		return nd
	}
	for hi-lo > 1 {
		mid := math.Floor((lo + hi) / 2)
		if width(mid) <= nd.Effect {
			hi = mid
		} else {
			lo = mid
		}
	}
	nd.Customers = int64(hi) - int64(m.n)
	perCustomer := 1.0
	if m.n > 0 && m.invoices > 0 {
		perCustomer = float64(m.invoices) / float64(m.n)
	}
	nd.Invoices = int64(math.Ceil(float64(nd.Customers) * perCustomer))
	return nd
}

// Words says what Needed means, for people: nothing once a verdict is reached.
func (n Needed) Words() string {
	switch {
	case n.Beyond && n.Unlikely:
		return fmt.Sprintf("a verdict is unlikely: the uplift is under %s pp and the data do not yet say how many invoices %s pp would take", pp(n.Effect), pp(n.Effect))
	case n.Beyond:
		return "a verdict is out of reach at the current variance"
	case n.Unlikely:
		return fmt.Sprintf("a verdict is unlikely: the uplift is under %s pp; detecting %s pp would take about %s more invoices", pp(n.Effect), pp(n.Effect), count(n.Invoices))
	case n.Invoices > 0:
		return fmt.Sprintf("about %s more invoices for a verdict at the current uplift of %s pp", count(n.Invoices), pp(n.Effect))
	}
	return ""
}

// pp writes percentage points to one decimal: 2.3, 1.
func pp(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) }

// count writes n with thousands separators: 12,345.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
