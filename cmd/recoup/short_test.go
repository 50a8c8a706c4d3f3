package main

import "testing"

// slow skips a test under `go test -short`: the end-to-end tests that take ten seconds or more
// (whole simulations, killed processes, two processes on PostgreSQL), measured in
// docs/benchmarks.md ("Test suite"). `go test ./...` and CI run them.
func slow(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow end-to-end test: skipped under -short")
	}
}
