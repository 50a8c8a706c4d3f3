-- Personalization by a language model: what was generated for a message and why the template
-- was sent instead, kept with the message for the audit; and the model's usage per calendar
-- month (UTC), which the monthly call and cost caps read and reserve with one atomic add.

-- +goose Up
ALTER TABLE messages ADD COLUMN generated       boolean NOT NULL DEFAULT false;
ALTER TABLE messages ADD COLUMN fallback        text    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN fallback_reason text    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN generation      text    NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN model           text    NOT NULL DEFAULT '';

CREATE TABLE llm_usage (
    month         text   PRIMARY KEY,         -- "2026-11"
    calls         bigint NOT NULL,
    input_tokens  bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cost_micros   bigint NOT NULL             -- millionths of the configured price unit
);

-- +goose Down
DROP TABLE llm_usage;
ALTER TABLE messages DROP COLUMN model;
ALTER TABLE messages DROP COLUMN generation;
ALTER TABLE messages DROP COLUMN fallback_reason;
ALTER TABLE messages DROP COLUMN fallback;
ALTER TABLE messages DROP COLUMN generated;
