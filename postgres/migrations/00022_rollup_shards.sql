-- Rollup rows in shards. Every case that opens, moves or closes, and every message sent, adds to
-- a rollup row of its day in the same transaction (migrations 00004 and 00009), and holds that
-- row's lock until it commits: at a month-start burst, when every new case of the day has the
-- same day, currency, state and category, the transactions of all processes queued on one row.
-- Each rollup key now has rollup_shards rows, and a case (or message) always counts in the
-- shard of its id, so that its later moves find the row it counted in. Readers sum the shards,
-- as they already summed days. Lock order between the two rows a case moves between is kept
-- (the lower key first; both rows are in the case's shard).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION recoup_rollup_shard(id bigint) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT (id % 16)::smallint
$$;
-- +goose StatementEnd

ALTER TABLE case_rollup ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE case_rollup DROP CONSTRAINT case_rollup_pkey;
ALTER TABLE case_rollup ADD PRIMARY KEY (day, currency, state, category, recovered_by, shard);
ALTER TABLE recovery_rollup ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE recovery_rollup DROP CONSTRAINT recovery_rollup_pkey;
ALTER TABLE recovery_rollup ADD PRIMARY KEY (day, hours, shard);
ALTER TABLE message_rollup ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE message_rollup DROP CONSTRAINT message_rollup_pkey;
ALTER TABLE message_rollup ADD PRIMARY KEY (day, status, shard);
ALTER TABLE segment_rollup ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE segment_rollup DROP CONSTRAINT segment_rollup_pkey;
ALTER TABLE segment_rollup ADD PRIMARY KEY (day, currency, segment, state, shard);

-- The rows that exist are counted again, each case and message in its shard. The rollups' tables
-- are locked first, as the triggers lock them, so that no transaction adds to a row meanwhile.
LOCK TABLE case_rollup, recovery_rollup, message_rollup, segment_rollup IN EXCLUSIVE MODE;
DELETE FROM case_rollup;
INSERT INTO case_rollup (day, currency, state, category, recovered_by, shard, cases, amount)
    SELECT recoup_day(created_at), currency, state, category, recovered_by, recoup_rollup_shard(id), count(*), sum(amount)
    FROM cases WHERE created_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
DELETE FROM recovery_rollup;
INSERT INTO recovery_rollup (day, hours, shard, cases)
    SELECT recoup_day(created_at), recoup_recovery_bucket(created_at, resolved_at), recoup_rollup_shard(id), count(*)
    FROM cases WHERE created_at IS NOT NULL AND state = 'recovered' AND resolved_at IS NOT NULL GROUP BY 1, 2, 3;
DELETE FROM message_rollup;
INSERT INTO message_rollup (day, status, shard, messages)
    SELECT recoup_day(created_at), status, recoup_rollup_shard(id), count(*) FROM messages WHERE created_at IS NOT NULL GROUP BY 1, 2, 3;
DELETE FROM segment_rollup;
INSERT INTO segment_rollup (day, currency, segment, state, shard, cases, amount)
    SELECT recoup_day(created_at), currency, segment, state, recoup_rollup_shard(id), count(*), sum(amount)
    FROM cases WHERE created_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recoup_cases_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- Concurrent transactions lock the two rollup rows a case moves between in one order (the
    -- lower key first), so that two cases moving in opposite directions cannot deadlock.
    old_first boolean := true;
    sh smallint := recoup_rollup_shard(NEW.id);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.created_at IS NOT DISTINCT FROM NEW.created_at AND OLD.currency = NEW.currency AND OLD.state = NEW.state
            AND OLD.category = NEW.category AND OLD.recovered_by = NEW.recovered_by AND OLD.amount = NEW.amount
            AND OLD.resolved_at IS NOT DISTINCT FROM NEW.resolved_at THEN
            RETURN NULL;
        END IF;
        old_first := NEW.created_at IS NULL OR OLD.created_at IS NULL OR
            ROW(recoup_day(OLD.created_at), OLD.currency, OLD.state, OLD.category, OLD.recovered_by) <=
            ROW(recoup_day(NEW.created_at), NEW.currency, NEW.state, NEW.category, NEW.recovered_by);
    END IF;
    IF TG_OP = 'UPDATE' AND old_first AND OLD.created_at IS NOT NULL THEN
        UPDATE case_rollup SET cases = cases - 1, amount = amount - OLD.amount
            WHERE day = recoup_day(OLD.created_at) AND currency = OLD.currency AND state = OLD.state
            AND category = OLD.category AND recovered_by = OLD.recovered_by AND shard = sh;
    END IF;
    IF NEW.created_at IS NOT NULL THEN
        INSERT INTO case_rollup (day, currency, state, category, recovered_by, shard, cases, amount)
            VALUES (recoup_day(NEW.created_at), NEW.currency, NEW.state, NEW.category, NEW.recovered_by, sh, 1, NEW.amount)
            ON CONFLICT (day, currency, state, category, recovered_by, shard)
            DO UPDATE SET cases = case_rollup.cases + 1, amount = case_rollup.amount + excluded.amount;
    END IF;
    IF TG_OP = 'UPDATE' AND NOT old_first THEN
        UPDATE case_rollup SET cases = cases - 1, amount = amount - OLD.amount
            WHERE day = recoup_day(OLD.created_at) AND currency = OLD.currency AND state = OLD.state
            AND category = OLD.category AND recovered_by = OLD.recovered_by AND shard = sh;
    END IF;
    -- A case leaves "recovered" only if its resolution time is corrected; it enters it once.
    IF TG_OP = 'UPDATE' AND OLD.created_at IS NOT NULL AND OLD.state = 'recovered' AND OLD.resolved_at IS NOT NULL THEN
        UPDATE recovery_rollup SET cases = cases - 1
            WHERE day = recoup_day(OLD.created_at) AND hours = recoup_recovery_bucket(OLD.created_at, OLD.resolved_at) AND shard = sh;
    END IF;
    IF NEW.created_at IS NOT NULL AND NEW.state = 'recovered' AND NEW.resolved_at IS NOT NULL THEN
        INSERT INTO recovery_rollup (day, hours, shard, cases)
            VALUES (recoup_day(NEW.created_at), recoup_recovery_bucket(NEW.created_at, NEW.resolved_at), sh, 1)
            ON CONFLICT (day, hours, shard) DO UPDATE SET cases = recovery_rollup.cases + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recoup_messages_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sh smallint := recoup_rollup_shard(NEW.id);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = NEW.status AND OLD.created_at IS NOT DISTINCT FROM NEW.created_at THEN
            RETURN NULL;
        END IF;
        IF OLD.created_at IS NOT NULL THEN
            UPDATE message_rollup SET messages = messages - 1
                WHERE day = recoup_day(OLD.created_at) AND status = OLD.status AND shard = sh;
        END IF;
    END IF;
    IF NEW.created_at IS NOT NULL THEN
        INSERT INTO message_rollup (day, status, shard, messages) VALUES (recoup_day(NEW.created_at), NEW.status, sh, 1)
            ON CONFLICT (day, status, shard) DO UPDATE SET messages = message_rollup.messages + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recoup_segment_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- The two rows a case moves between are locked in one order (the lower key first), as in
    -- recoup_cases_rollup, so that two cases moving in opposite directions cannot deadlock.
    old_first boolean := true;
    sh smallint := recoup_rollup_shard(NEW.id);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        old_first := NEW.created_at IS NULL OR OLD.created_at IS NULL OR
            ROW(recoup_day(OLD.created_at), OLD.currency, OLD.segment, OLD.state) <=
            ROW(recoup_day(NEW.created_at), NEW.currency, NEW.segment, NEW.state);
    END IF;
    IF TG_OP = 'UPDATE' AND old_first AND OLD.created_at IS NOT NULL THEN
        UPDATE segment_rollup SET cases = cases - 1, amount = amount - OLD.amount
            WHERE day = recoup_day(OLD.created_at) AND currency = OLD.currency AND segment = OLD.segment AND state = OLD.state
            AND shard = sh;
    END IF;
    IF NEW.created_at IS NOT NULL THEN
        INSERT INTO segment_rollup (day, currency, segment, state, shard, cases, amount)
            VALUES (recoup_day(NEW.created_at), NEW.currency, NEW.segment, NEW.state, sh, 1, NEW.amount)
            ON CONFLICT (day, currency, segment, state, shard)
            DO UPDATE SET cases = segment_rollup.cases + 1, amount = segment_rollup.amount + excluded.amount;
    END IF;
    IF TG_OP = 'UPDATE' AND NOT old_first THEN
        UPDATE segment_rollup SET cases = cases - 1, amount = amount - OLD.amount
            WHERE day = recoup_day(OLD.created_at) AND currency = OLD.currency AND segment = OLD.segment AND state = OLD.state
            AND shard = sh;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- The shards are summed into one row per key again, and the functions of 00004 and 00009 come
-- back.
LOCK TABLE case_rollup, recovery_rollup, message_rollup, segment_rollup IN EXCLUSIVE MODE;
CREATE TEMPORARY TABLE rollup_sum AS
    SELECT day, currency, state, category, recovered_by, sum(cases)::bigint AS cases, sum(amount)::bigint AS amount
    FROM case_rollup GROUP BY 1, 2, 3, 4, 5;
DELETE FROM case_rollup;
ALTER TABLE case_rollup DROP CONSTRAINT case_rollup_pkey;
ALTER TABLE case_rollup DROP COLUMN shard;
ALTER TABLE case_rollup ADD PRIMARY KEY (day, currency, state, category, recovered_by);
INSERT INTO case_rollup (day, currency, state, category, recovered_by, cases, amount) SELECT * FROM rollup_sum;
DROP TABLE rollup_sum;

CREATE TEMPORARY TABLE rollup_sum AS SELECT day, hours, sum(cases)::bigint AS cases FROM recovery_rollup GROUP BY 1, 2;
DELETE FROM recovery_rollup;
ALTER TABLE recovery_rollup DROP CONSTRAINT recovery_rollup_pkey;
ALTER TABLE recovery_rollup DROP COLUMN shard;
ALTER TABLE recovery_rollup ADD PRIMARY KEY (day, hours);
INSERT INTO recovery_rollup (day, hours, cases) SELECT * FROM rollup_sum;
DROP TABLE rollup_sum;

CREATE TEMPORARY TABLE rollup_sum AS SELECT day, status, sum(messages)::bigint AS messages FROM message_rollup GROUP BY 1, 2;
DELETE FROM message_rollup;
ALTER TABLE message_rollup DROP CONSTRAINT message_rollup_pkey;
ALTER TABLE message_rollup DROP COLUMN shard;
ALTER TABLE message_rollup ADD PRIMARY KEY (day, status);
INSERT INTO message_rollup (day, status, messages) SELECT * FROM rollup_sum;
DROP TABLE rollup_sum;

CREATE TEMPORARY TABLE rollup_sum AS
    SELECT day, currency, segment, state, sum(cases)::bigint AS cases, sum(amount)::bigint AS amount
    FROM segment_rollup GROUP BY 1, 2, 3, 4;
DELETE FROM segment_rollup;
ALTER TABLE segment_rollup DROP CONSTRAINT segment_rollup_pkey;
ALTER TABLE segment_rollup DROP COLUMN shard;
ALTER TABLE segment_rollup ADD PRIMARY KEY (day, currency, segment, state);
INSERT INTO segment_rollup (day, currency, segment, state, cases, amount) SELECT * FROM rollup_sum;
DROP TABLE rollup_sum;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recoup_cases_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- Concurrent transactions lock the two rollup rows a case moves between in one order (the
    -- lower key first), so that two cases moving in opposite directions cannot deadlock.
    old_first boolean := true;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.created_at IS NOT DISTINCT FROM NEW.created_at AND OLD.currency = NEW.currency AND OLD.state = NEW.state
            AND OLD.category = NEW.category AND OLD.recovered_by = NEW.recovered_by AND OLD.amount = NEW.amount
            AND OLD.resolved_at IS NOT DISTINCT FROM NEW.resolved_at THEN
            RETURN NULL;
        END IF;
        old_first := NEW.created_at IS NULL OR OLD.created_at IS NULL OR
            ROW(recoup_day(OLD.created_at), OLD.currency, OLD.state, OLD.category, OLD.recovered_by) <=
            ROW(recoup_day(NEW.created_at), NEW.currency, NEW.state, NEW.category, NEW.recovered_by);
    END IF;
    IF TG_OP = 'UPDATE' AND old_first AND OLD.created_at IS NOT NULL THEN
        UPDATE case_rollup SET cases = cases - 1, amount = amount - OLD.amount
            WHERE day = recoup_day(OLD.created_at) AND currency = OLD.currency AND state = OLD.state
            AND category = OLD.category AND recovered_by = OLD.recovered_by;
    END IF;
    IF NEW.created_at IS NOT NULL THEN
        INSERT INTO case_rollup VALUES (recoup_day(NEW.created_at), NEW.currency, NEW.state, NEW.category, NEW.recovered_by, 1, NEW.amount)
            ON CONFLICT (day, currency, state, category, recovered_by)
            DO UPDATE SET cases = case_rollup.cases + 1, amount = case_rollup.amount + excluded.amount;
    END IF;
    IF TG_OP = 'UPDATE' AND NOT old_first THEN
        UPDATE case_rollup SET cases = cases - 1, amount = amount - OLD.amount
            WHERE day = recoup_day(OLD.created_at) AND currency = OLD.currency AND state = OLD.state
            AND category = OLD.category AND recovered_by = OLD.recovered_by;
    END IF;
    -- A case leaves "recovered" only if its resolution time is corrected; it enters it once.
    IF TG_OP = 'UPDATE' AND OLD.created_at IS NOT NULL AND OLD.state = 'recovered' AND OLD.resolved_at IS NOT NULL THEN
        UPDATE recovery_rollup SET cases = cases - 1
            WHERE day = recoup_day(OLD.created_at) AND hours = recoup_recovery_bucket(OLD.created_at, OLD.resolved_at);
    END IF;
    IF NEW.created_at IS NOT NULL AND NEW.state = 'recovered' AND NEW.resolved_at IS NOT NULL THEN
        INSERT INTO recovery_rollup VALUES (recoup_day(NEW.created_at), recoup_recovery_bucket(NEW.created_at, NEW.resolved_at), 1)
            ON CONFLICT (day, hours) DO UPDATE SET cases = recovery_rollup.cases + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recoup_messages_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = NEW.status AND OLD.created_at IS NOT DISTINCT FROM NEW.created_at THEN
            RETURN NULL;
        END IF;
        IF OLD.created_at IS NOT NULL THEN
            UPDATE message_rollup SET messages = messages - 1 WHERE day = recoup_day(OLD.created_at) AND status = OLD.status;
        END IF;
    END IF;
    IF NEW.created_at IS NOT NULL THEN
        INSERT INTO message_rollup VALUES (recoup_day(NEW.created_at), NEW.status, 1)
            ON CONFLICT (day, status) DO UPDATE SET messages = message_rollup.messages + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recoup_segment_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
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

DROP FUNCTION recoup_rollup_shard(bigint);
