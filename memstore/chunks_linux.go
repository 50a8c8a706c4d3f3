package memstore

import "syscall"

// On Linux the timeline log's chunks are mapped outside the Go heap (see timeline.go), and the
// kernel is asked to back them with transparent huge pages: in its usual "madvise" mode it
// does so only where asked.

// offHeapChunk is the size of a chunk mapped outside the Go heap: large, as an untouched part
// of a mapping costs no memory, and huge pages need 2 MB of a mapping aligned.
const offHeapChunk = 32 << 20

// mapChunk returns an empty byte slice of capacity at least n, mapped outside the Go heap, and
// whether it is (false: the mapping failed and the slice is on the heap).
func mapChunk(n int) ([]byte, bool) {
	n = max(n, offHeapChunk)
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, 0, n), false
	}
	_ = syscall.Madvise(b, 14) // MADV_HUGEPAGE; without it, 4 KB pages as anywhere else
	return b[:0], true
}

// unmapChunk gives back a chunk mapChunk mapped.
func unmapChunk(b []byte) { _ = syscall.Munmap(b[:cap(b)]) }
