package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/recoup-hq/recoup"
)

// The language model's usage per month, for the personalization caps.

var _ recoup.LLMUsageStore = (*Store)(nil)

// LLMUsage returns the month's totals, zero when the month has none.
func (s *Store) LLMUsage(ctx context.Context, month string) (recoup.LLMUsage, error) {
	var u recoup.LLMUsage
	err := s.db.reader().QueryRowContext(ctx, `SELECT calls, input_tokens, output_tokens, cost_micros
		FROM llm_usage WHERE month = ?`, month).Scan(&u.Calls, &u.InputTokens, &u.OutputTokens, &u.CostMicros)
	if errors.Is(err, sql.ErrNoRows) {
		return recoup.LLMUsage{}, nil
	}
	if err != nil {
		return recoup.LLMUsage{}, wrap(err, "llm usage of %s", month)
	}
	return u, nil
}

// AddLLMUsage adds delta to the month with one upsert on the writer connection: a single
// statement is atomic, and other processes wait for SQLite's write lock.
func (s *Store) AddLLMUsage(ctx context.Context, month string, d recoup.LLMUsage) (recoup.LLMUsage, error) {
	if month == "" {
		return recoup.LLMUsage{}, recoup.Errorf(recoup.EINVALID, "add llm usage: no month")
	}
	if err := s.db.flush(ctx); err != nil {
		return recoup.LLMUsage{}, err
	}
	var u recoup.LLMUsage
	err := s.db.w.QueryRowContext(ctx, `INSERT INTO llm_usage (month, calls, input_tokens, output_tokens, cost_micros)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (month) DO UPDATE SET
			calls = llm_usage.calls + excluded.calls,
			input_tokens = llm_usage.input_tokens + excluded.input_tokens,
			output_tokens = llm_usage.output_tokens + excluded.output_tokens,
			cost_micros = llm_usage.cost_micros + excluded.cost_micros
		RETURNING calls, input_tokens, output_tokens, cost_micros`,
		month, d.Calls, d.InputTokens, d.OutputTokens, d.CostMicros).Scan(&u.Calls, &u.InputTokens, &u.OutputTokens, &u.CostMicros)
	if err != nil {
		return recoup.LLMUsage{}, wrap(err, "add llm usage of %s", month)
	}
	return u, nil
}
