package sqlite

import (
	"strings"
	"sync"

	"github.com/recoup-hq/recoup"
)

// The timeline batch. A case step writes several timeline entries (an event, a state change, a
// decision: 17.5 per invoice in the simulator, up to four in one transaction), and each was an
// INSERT of its own, the store's most frequent statement. AppendTimeline now keeps the entry in
// the transaction, and Store.Tx writes them all with one multi-row INSERT just before it
// commits, in the same transaction, so what is stored and when it becomes visible are
// unchanged: nothing reads the timeline inside a transaction (the Tx has no timeline read, and
// the Store's reads see only committed rows).
//
// The rows of one INSERT get consecutive IDs in VALUES order: the table is AUTOINCREMENT, each
// row takes the largest ID ever used plus one, and the transaction is the only writer. So the
// IDs are those up to the statement's LastInsertId, and are set on the entries then.
//
// A case is checked at append time, as the INSERT's foreign key did, so that an entry of a
// missing case still fails at the call that appended it; a case the transaction read or wrote
// needs no query.

// timelineBatch is the most rows one INSERT writes (5 parameters each).
const timelineBatch = 64

// pendingEntry is an appended entry's column values, taken when it was appended, and the entry
// whose ID is set when it is written.
type pendingEntry struct {
	e       *recoup.TimelineEntry
	caseID  int64
	at      any
	kind    string
	summary string
	detail  any
}

func (t *tx) AppendTimeline(e *recoup.TimelineEntry) error {
	if err := e.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "append timeline of case %d: %w", e.CaseID, err)
	}
	if !t.knows(e.CaseID) {
		if err := caseExists(t.ctx, t.q, e.CaseID); err != nil {
			return wrap(err, "append timeline of case %d", e.CaseID)
		}
		if t.existing == nil {
			t.existing = make(map[int64]bool, 1)
		}
		t.existing[e.CaseID] = true
	}
	t.timeline = append(t.timeline, pendingEntry{e: e, caseID: e.CaseID, at: timeArg(e.At), kind: string(e.Kind),
		summary: e.Summary, detail: rawJSONArg(e.Detail)})
	return nil
}

// writeTimeline inserts the appended entries, in append order, and sets their IDs.
func (t *tx) writeTimeline() error {
	for len(t.timeline) > 0 {
		batch := t.timeline[:min(len(t.timeline), timelineBatch)]
		args := make([]any, 0, 5*len(batch))
		for _, p := range batch {
			args = append(args, p.caseID, p.at, p.kind, p.summary, p.detail)
		}
		res, err := t.q.ExecContext(t.ctx, timelineInsert(len(batch)), args...)
		if isForeignKey(err) {
			return recoup.Errorf(recoup.ENOTFOUND, "append timeline of case %d: no such case", batch[0].caseID)
		}
		if err != nil {
			return wrap(err, "append timeline of case %d", batch[0].caseID)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return wrap(err, "append timeline of case %d", batch[0].caseID)
		}
		first := last - int64(len(batch)) + 1
		for i, p := range batch {
			p.e.ID = first + int64(i)
		}
		t.timeline = t.timeline[len(batch):]
	}
	t.timeline = nil
	return nil
}

// timelineInserts caches the INSERT of n rows, by n.
var timelineInserts [timelineBatch + 1]struct {
	once sync.Once
	q    string
}

// timelineInsert returns the INSERT of n timeline rows (1 <= n <= timelineBatch).
func timelineInsert(n int) string {
	c := &timelineInserts[n]
	c.once.Do(func() {
		c.q = `INSERT INTO timeline (case_id, at, kind, summary, detail) VALUES (?, ?, ?, ?, ?)` +
			strings.Repeat(`, (?, ?, ?, ?, ?)`, n-1)
	})
	return c.q
}
