package memstore

import (
	"encoding/binary"
	"time"
	"unsafe"

	"github.com/recoup-hq/recoup"
)

// The timelines are the store's largest part (17.5 entries per invoice in the simulator, a
// sentence and a JSON detail each), and are almost never read back. They are kept encoded, in
// one log for the whole store, made of large byte chunks: no pointers for the garbage collector
// to follow, no struct and string headers (about 100 bytes an entry), and no slice per case
// that grows by copying (with a case's timeline in a slice of its own, the copies were a sixth
// of a simulation's allocations and the spare capacity a quarter of the timelines' memory).
// A case's row holds where its last entry is; each entry holds where the case's entry before it
// is, so a case's timeline is read backwards along that chain.
//
// On Linux the chunks are mapped outside the Go heap (chunks_linux.go) and given back when the
// store is garbage collected. The log only grows and is never garbage, so it needs none of the
// room the collector leaves the heap to grow into between collections (GOGC: four times what
// is live, in a simulation), which was most of a 100,000-invoice simulation's memory: memory
// the kernel has to give the process page by page (docs/benchmarks.md).
//
// An entry is: the place of the case's previous entry (plus one; 0 for none), its ID, its time
// (unix microseconds, with a flag for the zero time), its kind (an index in the store's list
// of kinds), summary and detail, each string length-prefixed.

// timelines is the log of every case's timeline entries.
type timelines struct {
	chunks  [][]byte // each at least offHeapChunk long; a larger entry gets a chunk of its own
	mapped  *mappedChunks
	kinds   []recoup.EntryKind // the kinds seen, in order of first use
	kindOf  map[recoup.EntryKind]uint64
	scratch []byte // an entry being encoded
}

// place is where an entry starts in the log: its chunk's index in the high 32 bits, its offset
// in the chunk in the low ones, plus one, so that 0 means no entry.
type place uint64

// tlMark is the log's length, to truncate it back to (a rollback).
type tlMark struct{ chunks, last int }

func (l *timelines) mark() tlMark {
	m := tlMark{chunks: len(l.chunks)}
	if m.chunks > 0 {
		m.last = len(l.chunks[m.chunks-1])
	}
	return m
}

// truncate undoes what was appended after m. Kinds added meanwhile stay: they change nothing
// read back.
func (l *timelines) truncate(m tlMark) {
	for _, c := range l.chunks[m.chunks:] {
		l.mapped.release(c)
	}
	clear(l.chunks[m.chunks:])
	l.chunks = l.chunks[:m.chunks]
	if m.chunks > 0 {
		l.chunks[m.chunks-1] = l.chunks[m.chunks-1][:m.last]
	}
}

// mappedChunks are the chunks mapped outside the heap, unmapped when their store is collected.
type mappedChunks struct{ list [][]byte }

// newChunk returns an empty chunk that holds at least n bytes.
func (l *timelines) newChunk(n int) []byte {
	c, mapped := mapChunk(n)
	if mapped {
		l.mapped.list = append(l.mapped.list, c)
	}
	return c
}

// release unmaps c if it was mapped (a rollback dropped it).
func (m *mappedChunks) release(c []byte) {
	if len(m.list) == 0 || unsafe.SliceData(m.list[len(m.list)-1]) != unsafe.SliceData(c) {
		return
	}
	unmapChunk(c)
	m.list[len(m.list)-1] = nil
	m.list = m.list[:len(m.list)-1]
}

// unmapAll gives back every chunk: the store they belong to is unreachable.
func (m *mappedChunks) unmapAll() {
	for _, c := range m.list {
		unmapChunk(c)
	}
	m.list = nil
}

// kind returns the index of kind k, adding it to the list if new.
func (l *timelines) kind(k recoup.EntryKind) uint64 {
	i, ok := l.kindOf[k]
	if !ok {
		if l.kindOf == nil {
			l.kindOf = map[recoup.EntryKind]uint64{}
		}
		i = uint64(len(l.kinds))
		l.kinds = append(l.kinds, k)
		l.kindOf[k] = i
	}
	return i
}

// append encodes e (as stored) at the end of the log, after prev, the case's last entry, and
// returns its place.
func (l *timelines) append(prev place, e *recoup.TimelineEntry) place {
	b := binary.AppendUvarint(l.scratch[:0], uint64(prev))
	b = binary.AppendUvarint(b, uint64(e.ID))
	if e.At.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, e.At.UnixMicro())
	}
	b = binary.AppendUvarint(b, l.kind(e.Kind))
	b = appendString(b, e.Summary)
	b = binary.AppendUvarint(b, uint64(len(e.Detail)))
	b = append(b, e.Detail...)
	l.scratch = b

	n := len(l.chunks)
	if n == 0 || len(l.chunks[n-1])+len(b) > cap(l.chunks[n-1]) {
		l.chunks = append(l.chunks, l.newChunk(len(b)))
		n++
	}
	c := l.chunks[n-1]
	at := place(uint64(n-1)<<32|uint64(len(c))) + 1
	l.chunks[n-1] = append(c, b...)
	return at
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// entry returns the bytes of the entry at p, from its start to its chunk's end.
func (l *timelines) entry(p place) []byte {
	p--
	return l.chunks[p>>32][uint32(p):]
}

// entries decodes the timeline of case caseID, whose last entry is at last, in append order.
func (l *timelines) entries(caseID int64, last place) []recoup.TimelineEntry {
	var at []place
	for p := last; p != 0; {
		at = append(at, p)
		v, _ := binary.Uvarint(l.entry(p))
		p = place(v)
	}
	out := make([]recoup.TimelineEntry, 0, len(at))
	for i := len(at) - 1; i >= 0; i-- {
		b := l.entry(at[i])
		_, b = uvarint(b) // the previous entry
		e := recoup.TimelineEntry{CaseID: caseID}
		var v uint64
		v, b = uvarint(b)
		e.ID = int64(v)
		zero := b[0] == 0
		b = b[1:]
		if !zero {
			us, n := binary.Varint(b)
			b = b[n:]
			e.At = time.UnixMicro(us).UTC()
		}
		v, b = uvarint(b)
		e.Kind = l.kinds[v]
		var s []byte
		s, b = lengthPrefixed(b)
		e.Summary = string(s)
		s, _ = lengthPrefixed(b)
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
