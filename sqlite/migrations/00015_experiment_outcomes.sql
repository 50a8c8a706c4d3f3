-- Optimize (issue 17): when a new customer is assigned under an experiment's optimize, the
-- engine reads each arm's resolved and recovered cases so far (ArmOutcomes). This index answers
-- that aggregate alone, without reading the cases table.

-- +goose Up
CREATE INDEX cases_experiment_outcome ON cases (experiment, state, arm);

-- +goose Down
DROP INDEX cases_experiment_outcome;
