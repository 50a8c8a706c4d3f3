package timing

import "time"

// Candidates returns the times considered for a retry in [o.From, o.Until], as eachCandidate
// gives them.
func Candidates(c Case, o Options) []time.Time {
	var out []time.Time
	eachCandidate(c, o, func(k *candidate) { out = append(out, k.at()) })
	return out
}

// P is the success probability of features fs under the sampled weights: a choice's chance
// worked out from its whole list of features, against which the decision's incremental scoring
// is checked.
func (s *Sampler) P(fs []string) float64 {
	score := 0.0
	for _, f := range fs {
		score += s.get(f).draw
	}
	return phi(score / s.m.Beta)
}
