// Package experiment holds the statistics of an experiment that compares recoup's policy arms
// with a control arm left to Stripe: the figures of each arm, the uplift of one arm over the
// control with an interval that stays valid however often it is looked at, a verdict in words,
// how many more invoices a verdict still needs, and the Thompson-sampling allocation that lets
// the policy arms' shares adapt while the control's share stays fixed.
//
// The package is pure: no I/O, no clock. The unit of randomization is the customer: every
// figure that carries an interval is computed over customers (their invoices summed), so the
// intervals are clustered by customer. The method, its formulas and its assumptions are
// written in docs/experiments.md.
package experiment
