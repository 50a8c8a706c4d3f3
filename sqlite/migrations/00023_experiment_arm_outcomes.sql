-- Optimize (issue 17): each arm's resolved and recovered cases kept as counters, so that
-- assigning a new customer reads a few rows instead of counting the experiment's cases (the
-- GROUP BY of migration 00015 grew with the experiment). The counters are per stratum: the
-- group of customers the allocation learns apart (optimize: {by: time_zone}), recorded on the
-- customer's assignment ('' when the experiment learns from all customers together). Triggers
-- on cases keep them: a case counts once its state is resolved (recovered, exhausted, closed),
-- in its customer's stratum, and moves when its state or arm changes.

-- +goose Up
ALTER TABLE experiment_assignments ADD COLUMN stratum TEXT NOT NULL DEFAULT '';

CREATE TABLE experiment_arm_outcomes (
    experiment TEXT    NOT NULL,
    stratum    TEXT    NOT NULL,
    arm        TEXT    NOT NULL,
    resolved   INTEGER NOT NULL,
    recovered  INTEGER NOT NULL,
    PRIMARY KEY (experiment, stratum, arm)
) STRICT;

INSERT INTO experiment_arm_outcomes (experiment, stratum, arm, resolved, recovered)
SELECT experiment, '', arm, COUNT(*), SUM(state = 'recovered') FROM cases
WHERE experiment <> '' AND arm <> '' AND state IN ('recovered', 'exhausted', 'closed')
GROUP BY experiment, arm;

-- +goose StatementBegin
CREATE TRIGGER cases_arm_outcome_insert AFTER INSERT ON cases
WHEN NEW.experiment <> '' AND NEW.arm <> '' AND NEW.state IN ('recovered', 'exhausted', 'closed')
BEGIN
    INSERT INTO experiment_arm_outcomes (experiment, stratum, arm, resolved, recovered)
    SELECT NEW.experiment,
           COALESCE((SELECT stratum FROM experiment_assignments WHERE experiment = NEW.experiment AND customer_id = NEW.customer_id), ''),
           NEW.arm, 1, NEW.state = 'recovered'
    WHERE true
    ON CONFLICT (experiment, stratum, arm) DO UPDATE SET resolved = resolved + 1, recovered = recovered + excluded.recovered;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER cases_arm_outcome_update AFTER UPDATE ON cases
WHEN OLD.state IS NOT NEW.state OR OLD.experiment IS NOT NEW.experiment OR OLD.arm IS NOT NEW.arm
BEGIN
    UPDATE experiment_arm_outcomes SET resolved = resolved - 1, recovered = recovered - (OLD.state = 'recovered')
    WHERE OLD.experiment <> '' AND OLD.arm <> '' AND OLD.state IN ('recovered', 'exhausted', 'closed')
      AND experiment = OLD.experiment AND arm = OLD.arm
      AND stratum = COALESCE((SELECT stratum FROM experiment_assignments a WHERE a.experiment = OLD.experiment AND a.customer_id = OLD.customer_id), '');
    INSERT INTO experiment_arm_outcomes (experiment, stratum, arm, resolved, recovered)
    SELECT NEW.experiment,
           COALESCE((SELECT stratum FROM experiment_assignments WHERE experiment = NEW.experiment AND customer_id = NEW.customer_id), ''),
           NEW.arm, 1, NEW.state = 'recovered'
    WHERE NEW.experiment <> '' AND NEW.arm <> '' AND NEW.state IN ('recovered', 'exhausted', 'closed')
    ON CONFLICT (experiment, stratum, arm) DO UPDATE SET resolved = resolved + 1, recovered = recovered + excluded.recovered;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER cases_arm_outcome_delete AFTER DELETE ON cases
WHEN OLD.experiment <> '' AND OLD.arm <> '' AND OLD.state IN ('recovered', 'exhausted', 'closed')
BEGIN
    UPDATE experiment_arm_outcomes SET resolved = resolved - 1, recovered = recovered - (OLD.state = 'recovered')
    WHERE experiment = OLD.experiment AND arm = OLD.arm
      AND stratum = COALESCE((SELECT stratum FROM experiment_assignments a WHERE a.experiment = OLD.experiment AND a.customer_id = OLD.customer_id), '');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER cases_arm_outcome_delete;
DROP TRIGGER cases_arm_outcome_update;
DROP TRIGGER cases_arm_outcome_insert;
DROP TABLE experiment_arm_outcomes;
ALTER TABLE experiment_assignments DROP COLUMN stratum;
