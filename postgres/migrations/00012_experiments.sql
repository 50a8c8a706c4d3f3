-- Experiments (issue 17). A case records the policy experiment and the arm it was assigned to
-- when it opened, and when recoup took its invoice out of Stripe's automatic collection
-- (auto_advance false). A customer's first assignment in an experiment holds for all their
-- later invoices, whatever the weights become; share is the arm's probability when the
-- customer was assigned (for weighting under an adaptive allocation). An experiment is known
-- from its first assignment; an ended one assigns no new case.

-- +goose Up
ALTER TABLE cases ADD COLUMN experiment text NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN arm text NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN taken_over_at timestamptz;

CREATE TABLE experiment_assignments (
    experiment  text             NOT NULL,
    customer_id text             NOT NULL,
    arm         text             NOT NULL,
    share       double precision NOT NULL,
    assigned_at timestamptz      NOT NULL,
    PRIMARY KEY (experiment, customer_id)
);

CREATE TABLE experiments (
    name         text        NOT NULL PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    ended_by     text        NOT NULL DEFAULT '',
    promoted_arm text        NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE experiments;
DROP TABLE experiment_assignments;
ALTER TABLE cases DROP COLUMN taken_over_at;
ALTER TABLE cases DROP COLUMN arm;
ALTER TABLE cases DROP COLUMN experiment;
