//go:build !linux

package memstore

const offHeapChunk = 1 << 20

// mapChunk returns an empty byte slice of capacity at least n, on the Go heap: outside Linux
// the timeline log's chunks are ordinary memory (see chunks_linux.go).
func mapChunk(n int) ([]byte, bool) { return make([]byte, 0, max(n, offHeapChunk)), false }

func unmapChunk(b []byte) {}
