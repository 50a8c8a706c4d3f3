-- Personalization by a language model: what was generated for a message and why the template
-- was sent instead, kept with the message for the audit; and the model's usage per calendar
-- month (UTC), which the monthly call and cost caps read and reserve with one atomic add.

-- +goose Up
ALTER TABLE messages ADD COLUMN generated       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN fallback        TEXT    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN fallback_reason TEXT    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN generation      TEXT    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN model           TEXT    NOT NULL DEFAULT '';

CREATE TABLE llm_usage (
    month         TEXT    PRIMARY KEY,        -- "2026-11"
    calls         INTEGER NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_micros   INTEGER NOT NULL            -- millionths of the configured price unit
) STRICT;

-- +goose Down
DROP TABLE llm_usage;
ALTER TABLE messages DROP COLUMN model;
ALTER TABLE messages DROP COLUMN generation;
ALTER TABLE messages DROP COLUMN fallback_reason;
ALTER TABLE messages DROP COLUMN fallback;
ALTER TABLE messages DROP COLUMN generated;
