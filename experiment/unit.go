package experiment

import (
	"fmt"
	"slices"
)

// Unit is one randomization unit, a customer, with the outcome of all its invoices in the
// experiment summed. A customer stays in one arm for all its invoices, so the customer (not
// the invoice) is the independent unit of the statistics.
type Unit struct {
	// Arm is the name of the arm the customer was assigned to.
	Arm string
	// Share is the probability the customer had of landing in Arm when it was assigned
	// (0 < Share <= 1). With fixed weights it is the arm's weight share; under optimize it is
	// the share the allocation gave the arm at that moment. Estimates weight each unit by
	// 1/Share, which keeps them unbiased when the allocation changes over time.
	Share float64
	// Order is the position of the assignment in time (earlier customers have smaller
	// values). Units are read in this order: the interval at any moment uses the units
	// assigned up to then.
	Order int64
	// Invoices is the number of failed invoices of the customer in the experiment.
	Invoices int
	// Failed and Recovered are amounts in minor units, summed over the customer's invoices.
	Failed, Recovered int64
	// RecoveredInvoices counts the invoices that were paid in the end.
	RecoveredInvoices int
	// Attempts and Messages count the charge attempts and the messages sent.
	Attempts, Messages int
	// DaysToRecovery holds, for each recovered invoice, the days from its first failure to
	// its payment.
	DaysToRecovery []float64
	// Lost counts the customers lost (subscription cancelled or left unpaid): 0 or 1.
	Lost int
}

func (u Unit) validate() error {
	if u.Arm == "" {
		return fmt.Errorf("a customer has no arm")
	}
	if !(u.Share > 0 && u.Share <= 1) {
		return fmt.Errorf("a customer of arm %q has share %v, want a probability above 0", u.Arm, u.Share)
	}
	if u.Failed < 0 || u.Recovered < 0 || u.Recovered > u.Failed {
		return fmt.Errorf("a customer of arm %q recovered %d of %d failed", u.Arm, u.Recovered, u.Failed)
	}
	return nil
}

// ArmFigures are the plain figures of one arm: counts and sums over its customers, with no
// weighting. RecoveredPct is the amount-weighted recovery, 100 × Recovered / Failed.
type ArmFigures struct {
	Name              string
	Customers         int
	Invoices          int
	Failed            int64
	Recovered         int64
	RecoveredPct      float64
	RecoveredInvoices int
	// MedianDaysToRecovery is the median over the arm's recovered invoices' days to recovery;
	// 0 when none was recovered.
	MedianDaysToRecovery float64
	Attempts             int
	Messages             int
	CustomersLost        int
}

// figures sums the units of each arm, in the order arms first appear in units.
func figures(units []Unit) []ArmFigures {
	var out []ArmFigures
	var days [][]float64
	index := map[string]int{}
	last := -1
	for _, u := range units {
		i := last
		if i < 0 || out[i].Name != u.Arm {
			var ok bool
			if i, ok = index[u.Arm]; !ok {
				i = len(out)
				index[u.Arm] = i
				out = append(out, ArmFigures{Name: u.Arm})
				days = append(days, nil)
			}
		}
		last = i
		a := &out[i]
		a.Customers++
		a.Invoices += u.Invoices
		a.Failed += u.Failed
		a.Recovered += u.Recovered
		a.RecoveredInvoices += u.RecoveredInvoices
		a.Attempts += u.Attempts
		a.Messages += u.Messages
		a.CustomersLost += u.Lost
		days[i] = append(days[i], u.DaysToRecovery...)
	}
	for i := range out {
		a := &out[i]
		if a.Failed > 0 {
			a.RecoveredPct = 100 * float64(a.Recovered) / float64(a.Failed)
		}
		a.MedianDaysToRecovery = median(days[i])
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := xs // figures owns xs
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
