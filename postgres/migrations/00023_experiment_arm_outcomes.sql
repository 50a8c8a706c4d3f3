-- Optimize (issue 17): each arm's resolved and recovered cases kept as counters, so that
-- assigning a new customer reads a few rows instead of counting the experiment's cases (the
-- GROUP BY of migration 00015 grew with the experiment). The counters are per stratum: the
-- group of customers the allocation learns apart (optimize: {by: time_zone}), recorded on the
-- customer's assignment ('' when the experiment learns from all customers together). A trigger
-- on cases keeps them: a case counts once its state is resolved (recovered, exhausted, closed),
-- in its customer's stratum, and moves when its state or arm changes.

-- +goose Up
ALTER TABLE experiment_assignments ADD COLUMN stratum text NOT NULL DEFAULT '';

CREATE TABLE experiment_arm_outcomes (
    experiment text   NOT NULL,
    stratum    text   NOT NULL,
    arm        text   NOT NULL,
    resolved   bigint NOT NULL,
    recovered  bigint NOT NULL,
    PRIMARY KEY (experiment, stratum, arm)
);

INSERT INTO experiment_arm_outcomes (experiment, stratum, arm, resolved, recovered)
SELECT experiment, '', arm, COUNT(*), COUNT(*) FILTER (WHERE state = 'recovered') FROM cases
WHERE experiment <> '' AND arm <> '' AND state IN ('recovered', 'exhausted', 'closed')
GROUP BY experiment, arm;

-- +goose StatementBegin
CREATE FUNCTION cases_arm_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.experiment <> '' AND OLD.arm <> ''
       AND OLD.state IN ('recovered', 'exhausted', 'closed') THEN
        SELECT a.stratum INTO s FROM experiment_assignments a
        WHERE a.experiment = OLD.experiment AND a.customer_id = OLD.customer_id;
        UPDATE experiment_arm_outcomes
        SET resolved = resolved - 1, recovered = recovered - CASE WHEN OLD.state = 'recovered' THEN 1 ELSE 0 END
        WHERE experiment = OLD.experiment AND stratum = COALESCE(s, '') AND arm = OLD.arm;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.experiment <> '' AND NEW.arm <> ''
       AND NEW.state IN ('recovered', 'exhausted', 'closed') THEN
        s := NULL;
        SELECT a.stratum INTO s FROM experiment_assignments a
        WHERE a.experiment = NEW.experiment AND a.customer_id = NEW.customer_id;
        INSERT INTO experiment_arm_outcomes (experiment, stratum, arm, resolved, recovered)
        VALUES (NEW.experiment, COALESCE(s, ''), NEW.arm, 1, CASE WHEN NEW.state = 'recovered' THEN 1 ELSE 0 END)
        ON CONFLICT (experiment, stratum, arm) DO UPDATE
        SET resolved = experiment_arm_outcomes.resolved + 1,
            recovered = experiment_arm_outcomes.recovered + EXCLUDED.recovered;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER cases_arm_outcome_insert AFTER INSERT ON cases
    FOR EACH ROW WHEN (NEW.experiment <> '') EXECUTE FUNCTION cases_arm_outcome();
CREATE TRIGGER cases_arm_outcome_update AFTER UPDATE OF state, experiment, arm ON cases
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.experiment IS DISTINCT FROM NEW.experiment OR OLD.arm IS DISTINCT FROM NEW.arm)
    EXECUTE FUNCTION cases_arm_outcome();
CREATE TRIGGER cases_arm_outcome_delete AFTER DELETE ON cases
    FOR EACH ROW WHEN (OLD.experiment <> '') EXECUTE FUNCTION cases_arm_outcome();

-- +goose Down
DROP TRIGGER cases_arm_outcome_delete ON cases;
DROP TRIGGER cases_arm_outcome_update ON cases;
DROP TRIGGER cases_arm_outcome_insert ON cases;
DROP FUNCTION cases_arm_outcome();
DROP TABLE experiment_arm_outcomes;
ALTER TABLE experiment_assignments DROP COLUMN stratum;
