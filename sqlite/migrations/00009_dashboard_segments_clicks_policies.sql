-- The dashboard's second set of figures: recovery by policy segment (a rollup kept by triggers,
-- like those of migration 00004), link clicks per message (for the click and update rates of
-- each campaign step), and the history of the policy versions the service has run.

-- +goose Up
CREATE TABLE segment_rollup (
    day      INTEGER NOT NULL,               -- created_at's UTC day
    currency TEXT    NOT NULL,
    segment  TEXT    NOT NULL,
    state    TEXT    NOT NULL,
    cases    INTEGER NOT NULL,
    amount   INTEGER NOT NULL,
    PRIMARY KEY (day, currency, segment, state)
) STRICT, WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER cases_segment_rollup_insert AFTER INSERT ON cases WHEN NEW.created_at IS NOT NULL BEGIN
    INSERT INTO segment_rollup VALUES (NEW.created_at / 86400000000, NEW.currency, NEW.segment, NEW.state, 1, NEW.amount)
        ON CONFLICT DO UPDATE SET cases = cases + 1, amount = amount + excluded.amount;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER cases_segment_rollup_update AFTER UPDATE ON cases
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.currency IS NOT NEW.currency OR OLD.segment IS NOT NEW.segment
    OR OLD.state IS NOT NEW.state OR OLD.amount IS NOT NEW.amount
BEGIN
    UPDATE segment_rollup SET cases = cases - 1, amount = amount - OLD.amount
        WHERE OLD.created_at IS NOT NULL AND day = OLD.created_at / 86400000000 AND currency = OLD.currency
        AND segment = OLD.segment AND state = OLD.state;
    INSERT INTO segment_rollup
        SELECT NEW.created_at / 86400000000, NEW.currency, NEW.segment, NEW.state, 1, NEW.amount
        WHERE NEW.created_at IS NOT NULL
        ON CONFLICT DO UPDATE SET cases = cases + 1, amount = amount + excluded.amount;
END;
-- +goose StatementEnd

INSERT INTO segment_rollup
    SELECT created_at / 86400000000, currency, segment, state, count(*), sum(amount)
    FROM cases WHERE created_at IS NOT NULL GROUP BY 1, 2, 3, 4;

-- A click on a message's link: the first one's time, and how many. recovered_at is the time the
-- message's case was recovered by the customer (NULL if it was not), kept by a trigger, so that
-- the campaign page reads the messages of a period from one covering index and no case.
ALTER TABLE messages ADD COLUMN first_clicked_at INTEGER;
ALTER TABLE messages ADD COLUMN clicks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN recovered_at INTEGER;
CREATE INDEX messages_steps ON messages (created_at, status, step, template, sent_at, first_clicked_at, recovered_at);

-- Fires only when a case enters or leaves "recovered by the customer", or its time changes.
-- +goose StatementBegin
CREATE TRIGGER cases_messages_recovered AFTER UPDATE ON cases
WHEN (OLD.state = 'recovered' AND OLD.recovered_by = 'customer') IS NOT (NEW.state = 'recovered' AND NEW.recovered_by = 'customer')
    OR (NEW.state = 'recovered' AND NEW.recovered_by = 'customer' AND OLD.resolved_at IS NOT NEW.resolved_at)
BEGIN
    UPDATE messages SET recovered_at = CASE WHEN NEW.state = 'recovered' AND NEW.recovered_by = 'customer' THEN NEW.resolved_at END
        WHERE case_id = NEW.id;
END;
-- +goose StatementEnd

UPDATE messages SET recovered_at = (SELECT resolved_at FROM cases
    WHERE cases.id = messages.case_id AND state = 'recovered' AND recovered_by = 'customer');

CREATE TABLE policy_versions (
    version           TEXT    PRIMARY KEY,   -- policy.Policy.Version, the content hash
    source            TEXT    NOT NULL,
    first_seen_at     INTEGER NOT NULL,
    last_activated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX policy_versions_activated ON policy_versions (last_activated_at);

-- +goose Down
DROP INDEX policy_versions_activated;
DROP TABLE policy_versions;
DROP TRIGGER cases_messages_recovered;
DROP INDEX messages_steps;
ALTER TABLE messages DROP COLUMN recovered_at;
ALTER TABLE messages DROP COLUMN clicks;
ALTER TABLE messages DROP COLUMN first_clicked_at;
DROP TRIGGER cases_segment_rollup_update;
DROP TRIGGER cases_segment_rollup_insert;
DROP TABLE segment_rollup;
