package recoup

import "context"

// LLMUsage is what a language model was used for in one calendar month (UTC): the counts the
// monthly call and cost caps of message personalization read.
type LLMUsage struct {
	Calls        int64 `json:"calls"`
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	CostMicros   int64 `json:"cost_micros"` // millionths of the configured price unit
}

// LLMUsageStore keeps LLMUsage per month ("2026-11") across restarts and processes. sqlite and
// postgres implement it, held to the storetest conformance suite.
type LLMUsageStore interface {
	// LLMUsage returns the month's totals; zero, not an error, for a month without usage.
	LLMUsage(ctx context.Context, month string) (LLMUsage, error)
	// AddLLMUsage adds delta (fields may be negative: a reservation returned) to the month in
	// one atomic statement and returns the month's totals after the addition, so that
	// processes sharing the database never both see room under a cap that only one call fits.
	AddLLMUsage(ctx context.Context, month string, delta LLMUsage) (LLMUsage, error)
}
