package memstore

import (
	"encoding/binary"
	"time"

	"github.com/recoup-hq/recoup"
)

// A case's timeline is the store's largest part (17.5 entries per invoice in the simulator, a
// sentence and a JSON detail each), and is almost never read back. It is kept encoded, one
// byte slice per case: no pointers for the garbage collector to follow, and no struct and
// string headers (about 100 bytes an entry). An entry is its ID, its time (unix microseconds,
// with a flag for the zero time), kind, summary and detail, each string length-prefixed.

// timeline is a case's encoded timeline.
type timeline []byte

// appendEntry encodes e (as stored) at the end of the timeline.
func (tl timeline) appendEntry(e *recoup.TimelineEntry) timeline {
	b := binary.AppendUvarint(tl, uint64(e.ID))
	if e.At.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, e.At.UnixMicro())
	}
	b = appendString(b, string(e.Kind))
	b = appendString(b, e.Summary)
	b = binary.AppendUvarint(b, uint64(len(e.Detail)))
	return append(b, e.Detail...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// entries decodes the timeline of case caseID, in append order.
func (tl timeline) entries(caseID int64) []recoup.TimelineEntry {
	out := []recoup.TimelineEntry{}
	b := []byte(tl)
	for len(b) > 0 {
		e := recoup.TimelineEntry{CaseID: caseID}
		var id uint64
		id, b = uvarint(b)
		e.ID = int64(id)
		zero := b[0] == 0
		b = b[1:]
		if !zero {
			us, n := binary.Varint(b)
			b = b[n:]
			e.At = time.UnixMicro(us).UTC()
		}
		var s []byte
		s, b = lengthPrefixed(b)
		e.Kind = recoup.EntryKind(s)
		s, b = lengthPrefixed(b)
		e.Summary = string(s)
		s, b = lengthPrefixed(b)
		if len(s) > 0 {
			e.Detail = append([]byte(nil), s...)
		}
		out = append(out, e)
	}
	return out
}

func uvarint(b []byte) (uint64, []byte) {
	v, n := binary.Uvarint(b)
	return v, b[n:]
}

func lengthPrefixed(b []byte) (s, rest []byte) {
	n, b := uvarint(b)
	return b[:n], b[n:]
}
