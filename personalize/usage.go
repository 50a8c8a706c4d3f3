package personalize

import (
	"context"
	"sync"
	"time"
)

// Usage is what the provider was used for in one month.
type Usage struct {
	Calls        int64 `json:"calls"`
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	// CostMicros is the cost in millionths of the unit the prices are configured in (USD
	// micro-dollars with prices in USD per million tokens): integers, so that a month's sum of
	// many small calls is exact.
	CostMicros int64 `json:"cost_micros"`
}

// Plus returns u + d, field by field.
func (u Usage) Plus(d Usage) Usage {
	return Usage{
		Calls:        u.Calls + d.Calls,
		InputTokens:  u.InputTokens + d.InputTokens,
		OutputTokens: u.OutputTokens + d.OutputTokens,
		CostMicros:   u.CostMicros + d.CostMicros,
	}
}

// UsageStore keeps the usage per month across restarts and processes. AddUsage must add
// atomically and return the month's totals after the addition (an UPDATE ... RETURNING in a
// database): the Personalizer reserves a call's worst case with it before calling, so several
// processes sharing one store never pass a cap together. Deltas may be negative (a reservation
// returned). A month with no usage yet reads as zero, not as an error.
type UsageStore interface {
	Usage(ctx context.Context, month string) (Usage, error)
	AddUsage(ctx context.Context, month string, delta Usage) (Usage, error)
}

// MonthKey is the usage store's key for the month of t, in UTC: "2026-11". Caps reset on the
// first of the month, UTC.
func MonthKey(t time.Time) string { return t.UTC().Format("2006-01") }

// MemoryUsage is a UsageStore in memory, for tests and single-process trials: its counts are
// lost on restart, so the caps then start again from zero. Production wiring should use a
// store-backed implementation.
type MemoryUsage struct {
	mu     sync.Mutex
	months map[string]Usage
}

// NewMemoryUsage returns an empty MemoryUsage.
func NewMemoryUsage() *MemoryUsage { return &MemoryUsage{months: map[string]Usage{}} }

var _ UsageStore = (*MemoryUsage)(nil)

// Usage returns the month's totals.
func (m *MemoryUsage) Usage(_ context.Context, month string) (Usage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.months[month], nil
}

// AddUsage adds delta to the month and returns the new totals.
func (m *MemoryUsage) AddUsage(_ context.Context, month string, delta Usage) (Usage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.months[month].Plus(delta)
	m.months[month] = u
	return u, nil
}
