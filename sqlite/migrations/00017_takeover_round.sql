-- How many times recoup gave a case's invoice back to Stripe's automatic collection (a case
-- recoup took over that it no longer manages: the policy in force moved to observe mode, or a
-- control arm was promoted). It numbers the idempotency keys of the takeovers and give-backs,
-- so that taking the invoice over again after a give-back is a new request to Stripe, not a
-- replay of the first one.

-- +goose Up
ALTER TABLE cases ADD COLUMN takeover_round INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE cases DROP COLUMN takeover_round;
