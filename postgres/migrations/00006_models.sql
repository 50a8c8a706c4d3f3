-- Where the customer is, and what the learned retry-timing model learns from: every retry outcome with the features it had,
-- and operator resets, in commit order (inserts take a per-model advisory lock, so IDs commit in
-- order and a reader never skips one); and snapshots of the folded model, so a process starting
-- later does not fold every observation again.

-- +goose Up
-- The customer's address as Stripe has it, for their local clock and bank holidays.
ALTER TABLE cases ADD COLUMN customer_country text NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN customer_region text NOT NULL DEFAULT '';

CREATE TABLE model_observations (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model    text        NOT NULL,
    kind     text        NOT NULL,
    features jsonb       NOT NULL,
    success  boolean     NOT NULL,
    at       timestamptz
);

CREATE INDEX model_observations_model ON model_observations (model, id);

CREATE TABLE model_snapshots (
    model text        PRIMARY KEY,
    up_to bigint      NOT NULL,
    state jsonb       NOT NULL,
    at    timestamptz
);

-- +goose Down
DROP TABLE model_snapshots;
DROP TABLE model_observations;
ALTER TABLE cases DROP COLUMN customer_region;
ALTER TABLE cases DROP COLUMN customer_country;
