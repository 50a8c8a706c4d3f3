-- Credential lifecycle (issue 19): an API token may expire. (Revoking a token deletes it;
-- signing a user out everywhere deletes their sessions; the idle timeout moves a session's
-- expires_at: none of these needs a column.)

-- +goose Up
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX sessions_user ON sessions (user_id);

-- +goose Down
DROP INDEX sessions_user;
DROP INDEX api_tokens_user;
ALTER TABLE api_tokens DROP COLUMN expires_at;
