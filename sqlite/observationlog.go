package sqlite

import (
	"slices"
	"unicode/utf8"

	"github.com/recoup-hq/recoup"
)

// An observation as the observation log (package cache) holds it.

// loggedObservation returns o as a read of its row returns it, and whether it can: features
// that are valid UTF-8 decode from their JSON as they were.
func loggedObservation(o *recoup.Observation) (recoup.Observation, bool) {
	for _, f := range o.Features {
		if !utf8.ValidString(f) {
			return recoup.Observation{}, false
		}
	}
	c := *o
	c.Features = slices.Clone(nonNil(o.Features))
	c.At = storedTime(o.At)
	return c, true
}
