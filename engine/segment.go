package engine

import (
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// assignSegment sorts a case being opened into the first policy segment whose rule its facts
// match. The segment is kept for the life of the case, so a policy reload that changes the rules
// of a segment changes what its open cases do next, but never moves a case to another segment.
func (e *Engine) assignSegment(tx recoup.Tx, c *recoup.Case, inv recoup.Invoice, now time.Time) (detail map[string]string, err error) {
	p := e.Policy()
	detail = map[string]string{"policy_version": p.Version}
	if len(p.Segments) == 0 {
		c.Segment = policy.DefaultSegment
		detail["segment"] = c.Segment
		return detail, nil
	}
	past, err := tx.CountCustomerCases(c.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("segment facts: %w", err)
	}
	seg, matchErr := p.Match(policy.FactsOf(inv, past, now))
	c.Segment = seg
	detail["segment"] = seg
	if matchErr != nil {
		// A rule that fails is skipped; the case still gets a segment, and the timeline says why.
		detail["segment_rule_error"] = matchErr.Error()
		e.log.Warn("policy segment rule failed", "invoice", inv.ID, "error", matchErr)
	}
	return detail, nil
}

// segmentNote names the segment a case was sorted into, for the timeline.
func segmentNote(d map[string]string) string {
	return fmt.Sprintf("segment %s (policy %s)", d["segment"], d["policy_version"])
}
