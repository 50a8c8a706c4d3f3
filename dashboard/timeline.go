package dashboard

import (
	"encoding/json"
	"strings"

	"github.com/recoup-hq/recoup"
)

// timelineItem is one line of a case's timeline as the case page shows it. Change, when set,
// is the state move the entry made, in words ("retry planned → waiting for the customer").
type timelineItem struct {
	recoup.TimelineEntry
	Change string
}

// stateDetail is what the engine records on a state entry.
type stateDetail struct {
	From recoup.CaseState `json:"from"`
	To   recoup.CaseState `json:"to"`
}

// caseTimeline folds each plan's state entry into its decision: the engine records a move
// ("scheduled -> awaiting_customer: <reason>") and the decision that made it ("wait for the
// customer until ...: <reason>") with the same reason at the same instant, which read as the
// same line twice. The decision stays, with the move beside it. A state entry with no such
// decision stays on its own, in words.
func caseTimeline(entries []recoup.TimelineEntry) []timelineItem {
	out := make([]timelineItem, 0, len(entries))
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if e.Kind == recoup.EntryDecision {
			e.Summary = finalInWords(e)
		}
		if e.Kind != recoup.EntryState {
			out = append(out, timelineItem{TimelineEntry: e})
			continue
		}
		var sd stateDetail
		if json.Unmarshal(e.Detail, &sd) != nil || sd.To == "" {
			out = append(out, timelineItem{TimelineEntry: e})
			continue
		}
		change := words(stateWords, sd.From) + " → " + words(stateWords, sd.To)
		_, why, _ := strings.Cut(e.Summary, ": ")
		if i+1 < len(entries) && samePlan(e, entries[i+1], why) {
			d := entries[i+1]
			d.Summary = finalInWords(d)
			out = append(out, timelineItem{TimelineEntry: d, Change: change})
			i++
			continue
		}
		if n := len(out); n > 0 && samePlan(e, out[n-1].TimelineEntry, why) && out[n-1].Change == "" {
			out[n-1].Change = change
			continue
		}
		item := timelineItem{TimelineEntry: e, Change: change}
		item.Summary = why
		if why == "" {
			item.Summary = change
		}
		out = append(out, item)
	}
	return out
}

// samePlan reports whether d is the decision recorded with a state entry s whose reason is
// why: a decision at the same instant that gives the same reason.
func samePlan(s, d recoup.TimelineEntry, why string) bool {
	if d.Kind != recoup.EntryDecision || !d.At.Equal(s.At) || why == "" {
		return false
	}
	var dec struct {
		Reason string `json:"reason"`
	}
	if json.Unmarshal(d.Detail, &dec) == nil && dec.Reason != "" {
		return dec.Reason == why
	}
	return strings.Contains(d.Summary, why)
}

// finalInWords names the final action a decision plans in words: the engine's summary starts
// with its identifier ("leave_past_due Mon 2 Jan 2026 10:00 UTC: ...").
func finalInWords(e recoup.TimelineEntry) string {
	var d recoup.Decision
	if json.Unmarshal(e.Detail, &d) != nil || d.Kind != recoup.DecideFinal || d.FinalAction == "" {
		return e.Summary
	}
	if rest, ok := strings.CutPrefix(e.Summary, string(d.FinalAction)+" "); ok {
		return words(finalActionWords, d.FinalAction) + ", " + rest
	}
	return e.Summary
}
