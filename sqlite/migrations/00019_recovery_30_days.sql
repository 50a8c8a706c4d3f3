-- A time-to-recovery bound at 30 days (720 hours), beside the 28 days (672) of migration
-- 00004: the overview's cohort chart reads each week's recovery within 7, 14 and 30 days, and
-- the rollup keeps only bucket bounds. The triggers are those of 00004 with one more bucket;
-- the rollup is rebuilt from the cases.

-- +goose Up
DROP TRIGGER cases_rollup_insert;
DROP TRIGGER cases_rollup_update;

-- +goose StatementBegin
CREATE TRIGGER cases_rollup_insert AFTER INSERT ON cases WHEN NEW.created_at IS NOT NULL BEGIN
    INSERT INTO case_rollup VALUES (NEW.created_at / 86400000000, NEW.currency, NEW.state, NEW.category, NEW.recovered_by, 1, NEW.amount)
        ON CONFLICT DO UPDATE SET cases = cases + 1, amount = amount + excluded.amount;
    INSERT INTO recovery_rollup
        SELECT NEW.created_at / 86400000000, CASE
            WHEN (NEW.resolved_at - NEW.created_at) < 24 * 3600000000 THEN 0
            WHEN (NEW.resolved_at - NEW.created_at) < 72 * 3600000000 THEN 24
            WHEN (NEW.resolved_at - NEW.created_at) < 168 * 3600000000 THEN 72
            WHEN (NEW.resolved_at - NEW.created_at) < 336 * 3600000000 THEN 168
            WHEN (NEW.resolved_at - NEW.created_at) < 672 * 3600000000 THEN 336
            WHEN (NEW.resolved_at - NEW.created_at) < 720 * 3600000000 THEN 672
            ELSE 720 END, 1
        WHERE NEW.state = 'recovered' AND NEW.resolved_at IS NOT NULL
        ON CONFLICT DO UPDATE SET cases = cases + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER cases_rollup_update AFTER UPDATE ON cases
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.currency IS NOT NEW.currency OR OLD.state IS NOT NEW.state
    OR OLD.category IS NOT NEW.category OR OLD.recovered_by IS NOT NEW.recovered_by OR OLD.amount IS NOT NEW.amount
    OR OLD.resolved_at IS NOT NEW.resolved_at
BEGIN
    UPDATE case_rollup SET cases = cases - 1, amount = amount - OLD.amount
        WHERE OLD.created_at IS NOT NULL AND day = OLD.created_at / 86400000000 AND currency = OLD.currency
        AND state = OLD.state AND category = OLD.category AND recovered_by = OLD.recovered_by;
    UPDATE recovery_rollup SET cases = cases - 1
        WHERE OLD.created_at IS NOT NULL AND OLD.state = 'recovered' AND OLD.resolved_at IS NOT NULL
        AND day = OLD.created_at / 86400000000 AND hours = CASE
            WHEN (OLD.resolved_at - OLD.created_at) < 24 * 3600000000 THEN 0
            WHEN (OLD.resolved_at - OLD.created_at) < 72 * 3600000000 THEN 24
            WHEN (OLD.resolved_at - OLD.created_at) < 168 * 3600000000 THEN 72
            WHEN (OLD.resolved_at - OLD.created_at) < 336 * 3600000000 THEN 168
            WHEN (OLD.resolved_at - OLD.created_at) < 672 * 3600000000 THEN 336
            WHEN (OLD.resolved_at - OLD.created_at) < 720 * 3600000000 THEN 672
            ELSE 720 END;
    INSERT INTO case_rollup
        SELECT NEW.created_at / 86400000000, NEW.currency, NEW.state, NEW.category, NEW.recovered_by, 1, NEW.amount
        WHERE NEW.created_at IS NOT NULL
        ON CONFLICT DO UPDATE SET cases = cases + 1, amount = amount + excluded.amount;
    INSERT INTO recovery_rollup
        SELECT NEW.created_at / 86400000000, CASE
            WHEN (NEW.resolved_at - NEW.created_at) < 24 * 3600000000 THEN 0
            WHEN (NEW.resolved_at - NEW.created_at) < 72 * 3600000000 THEN 24
            WHEN (NEW.resolved_at - NEW.created_at) < 168 * 3600000000 THEN 72
            WHEN (NEW.resolved_at - NEW.created_at) < 336 * 3600000000 THEN 168
            WHEN (NEW.resolved_at - NEW.created_at) < 672 * 3600000000 THEN 336
            WHEN (NEW.resolved_at - NEW.created_at) < 720 * 3600000000 THEN 672
            ELSE 720 END, 1
        WHERE NEW.created_at IS NOT NULL AND NEW.state = 'recovered' AND NEW.resolved_at IS NOT NULL
        ON CONFLICT DO UPDATE SET cases = cases + 1;
END;
-- +goose StatementEnd

DELETE FROM recovery_rollup;
INSERT INTO recovery_rollup
    SELECT created_at / 86400000000, CASE
        WHEN (resolved_at - created_at) < 24 * 3600000000 THEN 0
        WHEN (resolved_at - created_at) < 72 * 3600000000 THEN 24
        WHEN (resolved_at - created_at) < 168 * 3600000000 THEN 72
        WHEN (resolved_at - created_at) < 336 * 3600000000 THEN 168
        WHEN (resolved_at - created_at) < 672 * 3600000000 THEN 336
        WHEN (resolved_at - created_at) < 720 * 3600000000 THEN 672
        ELSE 720 END, count(*)
    FROM cases WHERE created_at IS NOT NULL AND state = 'recovered' AND resolved_at IS NOT NULL GROUP BY 1, 2;

-- +goose Down
DROP TRIGGER cases_rollup_insert;
DROP TRIGGER cases_rollup_update;

-- +goose StatementBegin
CREATE TRIGGER cases_rollup_insert AFTER INSERT ON cases WHEN NEW.created_at IS NOT NULL BEGIN
    INSERT INTO case_rollup VALUES (NEW.created_at / 86400000000, NEW.currency, NEW.state, NEW.category, NEW.recovered_by, 1, NEW.amount)
        ON CONFLICT DO UPDATE SET cases = cases + 1, amount = amount + excluded.amount;
    INSERT INTO recovery_rollup
        SELECT NEW.created_at / 86400000000, CASE
            WHEN (NEW.resolved_at - NEW.created_at) < 24 * 3600000000 THEN 0
            WHEN (NEW.resolved_at - NEW.created_at) < 72 * 3600000000 THEN 24
            WHEN (NEW.resolved_at - NEW.created_at) < 168 * 3600000000 THEN 72
            WHEN (NEW.resolved_at - NEW.created_at) < 336 * 3600000000 THEN 168
            WHEN (NEW.resolved_at - NEW.created_at) < 672 * 3600000000 THEN 336
            ELSE 672 END, 1
        WHERE NEW.state = 'recovered' AND NEW.resolved_at IS NOT NULL
        ON CONFLICT DO UPDATE SET cases = cases + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER cases_rollup_update AFTER UPDATE ON cases
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.currency IS NOT NEW.currency OR OLD.state IS NOT NEW.state
    OR OLD.category IS NOT NEW.category OR OLD.recovered_by IS NOT NEW.recovered_by OR OLD.amount IS NOT NEW.amount
    OR OLD.resolved_at IS NOT NEW.resolved_at
BEGIN
    UPDATE case_rollup SET cases = cases - 1, amount = amount - OLD.amount
        WHERE OLD.created_at IS NOT NULL AND day = OLD.created_at / 86400000000 AND currency = OLD.currency
        AND state = OLD.state AND category = OLD.category AND recovered_by = OLD.recovered_by;
    UPDATE recovery_rollup SET cases = cases - 1
        WHERE OLD.created_at IS NOT NULL AND OLD.state = 'recovered' AND OLD.resolved_at IS NOT NULL
        AND day = OLD.created_at / 86400000000 AND hours = CASE
            WHEN (OLD.resolved_at - OLD.created_at) < 24 * 3600000000 THEN 0
            WHEN (OLD.resolved_at - OLD.created_at) < 72 * 3600000000 THEN 24
            WHEN (OLD.resolved_at - OLD.created_at) < 168 * 3600000000 THEN 72
            WHEN (OLD.resolved_at - OLD.created_at) < 336 * 3600000000 THEN 168
            WHEN (OLD.resolved_at - OLD.created_at) < 672 * 3600000000 THEN 336
            ELSE 672 END;
    INSERT INTO case_rollup
        SELECT NEW.created_at / 86400000000, NEW.currency, NEW.state, NEW.category, NEW.recovered_by, 1, NEW.amount
        WHERE NEW.created_at IS NOT NULL
        ON CONFLICT DO UPDATE SET cases = cases + 1, amount = amount + excluded.amount;
    INSERT INTO recovery_rollup
        SELECT NEW.created_at / 86400000000, CASE
            WHEN (NEW.resolved_at - NEW.created_at) < 24 * 3600000000 THEN 0
            WHEN (NEW.resolved_at - NEW.created_at) < 72 * 3600000000 THEN 24
            WHEN (NEW.resolved_at - NEW.created_at) < 168 * 3600000000 THEN 72
            WHEN (NEW.resolved_at - NEW.created_at) < 336 * 3600000000 THEN 168
            WHEN (NEW.resolved_at - NEW.created_at) < 672 * 3600000000 THEN 336
            ELSE 672 END, 1
        WHERE NEW.created_at IS NOT NULL AND NEW.state = 'recovered' AND NEW.resolved_at IS NOT NULL
        ON CONFLICT DO UPDATE SET cases = cases + 1;
END;
-- +goose StatementEnd

DELETE FROM recovery_rollup;
INSERT INTO recovery_rollup
    SELECT created_at / 86400000000, CASE
        WHEN (resolved_at - created_at) < 24 * 3600000000 THEN 0
        WHEN (resolved_at - created_at) < 72 * 3600000000 THEN 24
        WHEN (resolved_at - created_at) < 168 * 3600000000 THEN 72
        WHEN (resolved_at - created_at) < 336 * 3600000000 THEN 168
        WHEN (resolved_at - created_at) < 672 * 3600000000 THEN 336
        ELSE 672 END, count(*)
    FROM cases WHERE created_at IS NOT NULL AND state = 'recovered' AND resolved_at IS NOT NULL GROUP BY 1, 2;
