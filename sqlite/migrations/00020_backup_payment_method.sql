-- Backup payment methods (policy backup_payment_method): where a case stands with them. ''
-- while one may still be tried; 'exhausted' once every saved method the policy allows has been
-- tried, or none was on file, so that the case goes on without and is not planned again.

-- +goose Up
ALTER TABLE cases ADD COLUMN backup TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE cases DROP COLUMN backup;
