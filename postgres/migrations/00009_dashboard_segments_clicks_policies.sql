-- The dashboard's second set of figures: recovery by policy segment (a rollup kept by a
-- trigger, like those of migration 00004), link clicks per message (for the click and update
-- rates of each campaign step), and the history of the policy versions the service has run.

-- +goose Up
CREATE TABLE segment_rollup (
    day      bigint NOT NULL,                -- created_at's UTC day
    currency text   NOT NULL,
    segment  text   NOT NULL,
    state    text   NOT NULL,
    cases    bigint NOT NULL,
    amount   bigint NOT NULL,
    PRIMARY KEY (day, currency, segment, state)
);

-- +goose StatementBegin
CREATE FUNCTION recoup_segment_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- The two rows a case moves between are locked in one order (the lower key first), as in
    -- recoup_cases_rollup, so that two cases moving in opposite directions cannot deadlock.
    old_first boolean := true;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        old_first := NEW.created_at IS NULL OR OLD.created_at IS NULL OR
            ROW(recoup_day(OLD.created_at), OLD.currency, OLD.segment, OLD.state) <=
            ROW(recoup_day(NEW.created_at), NEW.currency, NEW.segment, NEW.state);
    END IF;
    IF TG_OP = 'UPDATE' AND old_first AND OLD.created_at IS NOT NULL THEN
        UPDATE segment_rollup SET cases = cases - 1, amount = amount - OLD.amount
            WHERE day = recoup_day(OLD.created_at) AND currency = OLD.currency AND segment = OLD.segment AND state = OLD.state;
    END IF;
    IF NEW.created_at IS NOT NULL THEN
        INSERT INTO segment_rollup VALUES (recoup_day(NEW.created_at), NEW.currency, NEW.segment, NEW.state, 1, NEW.amount)
            ON CONFLICT (day, currency, segment, state)
            DO UPDATE SET cases = segment_rollup.cases + 1, amount = segment_rollup.amount + excluded.amount;
    END IF;
    IF TG_OP = 'UPDATE' AND NOT old_first THEN
        UPDATE segment_rollup SET cases = cases - 1, amount = amount - OLD.amount
            WHERE day = recoup_day(OLD.created_at) AND currency = OLD.currency AND segment = OLD.segment AND state = OLD.state;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cases_segment_rollup_insert AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION recoup_segment_rollup();
CREATE TRIGGER cases_segment_rollup_update AFTER UPDATE ON cases FOR EACH ROW
    WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.currency IS DISTINCT FROM NEW.currency
        OR OLD.segment IS DISTINCT FROM NEW.segment OR OLD.state IS DISTINCT FROM NEW.state
        OR OLD.amount IS DISTINCT FROM NEW.amount)
    EXECUTE FUNCTION recoup_segment_rollup();

INSERT INTO segment_rollup
    SELECT recoup_day(created_at), currency, segment, state, count(*), sum(amount)
    FROM cases WHERE created_at IS NOT NULL GROUP BY 1, 2, 3, 4;

-- A click on a message's link: the first one's time, and how many. recovered_at is the time the
-- message's case was recovered by the customer (NULL if it was not), kept by a trigger, so that
-- the campaign page reads the messages of a period from one covering index and no case.
ALTER TABLE messages ADD COLUMN first_clicked_at timestamptz;
ALTER TABLE messages ADD COLUMN clicks integer NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN recovered_at timestamptz;
CREATE INDEX messages_steps ON messages (created_at, status, step, template, sent_at, first_clicked_at, recovered_at);

-- +goose StatementBegin
CREATE FUNCTION recoup_messages_recovered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages SET recovered_at = CASE WHEN NEW.state = 'recovered' AND NEW.recovered_by = 'customer' THEN NEW.resolved_at END
        WHERE case_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Fires only when a case enters or leaves "recovered by the customer", or its time changes.
CREATE TRIGGER cases_messages_recovered AFTER UPDATE ON cases FOR EACH ROW
    WHEN ((OLD.state = 'recovered' AND OLD.recovered_by = 'customer') IS DISTINCT FROM (NEW.state = 'recovered' AND NEW.recovered_by = 'customer')
        OR (NEW.state = 'recovered' AND NEW.recovered_by = 'customer' AND OLD.resolved_at IS DISTINCT FROM NEW.resolved_at))
    EXECUTE FUNCTION recoup_messages_recovered();

UPDATE messages SET recovered_at = c.resolved_at FROM cases c
    WHERE c.id = messages.case_id AND c.state = 'recovered' AND c.recovered_by = 'customer';

CREATE TABLE policy_versions (
    version           text        PRIMARY KEY, -- policy.Policy.Version, the content hash
    source            text        NOT NULL,
    first_seen_at     timestamptz NOT NULL,
    last_activated_at timestamptz NOT NULL
);

CREATE INDEX policy_versions_activated ON policy_versions (last_activated_at);

-- +goose Down
DROP INDEX policy_versions_activated;
DROP TABLE policy_versions;
DROP TRIGGER cases_messages_recovered ON cases;
DROP FUNCTION recoup_messages_recovered();
DROP INDEX messages_steps;
ALTER TABLE messages DROP COLUMN recovered_at;
ALTER TABLE messages DROP COLUMN clicks;
ALTER TABLE messages DROP COLUMN first_clicked_at;
DROP TRIGGER cases_segment_rollup_update ON cases;
DROP TRIGGER cases_segment_rollup_insert ON cases;
DROP FUNCTION recoup_segment_rollup();
DROP TABLE segment_rollup;
