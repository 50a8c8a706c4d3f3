-- Where the customer is, and what the learned retry-timing model learns from: every retry outcome with the features it had,
-- and operator resets, in commit order; and snapshots of the folded model, so a process starting
-- later does not fold every observation again.

-- +goose Up
-- The customer's address as Stripe has it, for their local clock and bank holidays.
ALTER TABLE cases ADD COLUMN customer_country TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN customer_region TEXT NOT NULL DEFAULT '';

CREATE TABLE model_observations (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    model    TEXT    NOT NULL,
    kind     TEXT    NOT NULL,
    features TEXT    NOT NULL,                -- JSON array of feature names
    success  INTEGER NOT NULL,
    at       INTEGER
) STRICT;

CREATE INDEX model_observations_model ON model_observations (model, id);

CREATE TABLE model_snapshots (
    model TEXT    PRIMARY KEY,
    up_to INTEGER NOT NULL,
    state TEXT    NOT NULL,                   -- JSON of the model
    at    INTEGER
) STRICT;

-- +goose Down
DROP TABLE model_snapshots;
DROP TABLE model_observations;
ALTER TABLE cases DROP COLUMN customer_region;
ALTER TABLE cases DROP COLUMN customer_country;
