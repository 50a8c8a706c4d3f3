-- The dashboard: users, their sessions and API tokens, the audit log of operator actions, and
-- the indexes that serve the dashboard's aggregates and searches without scanning all cases.
-- Sessions and tokens are stored as SHA-256 hashes of the secret the client holds.

-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL,
    created_at    INTEGER
) STRICT;

CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT    NOT NULL,
    created_at INTEGER,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT    NOT NULL,
    hash       TEXT    NOT NULL UNIQUE,
    created_at INTEGER
) STRICT;

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER,
    user_id    INTEGER NOT NULL,
    user_email TEXT    NOT NULL,             -- kept as it was: the user may be renamed or removed
    action     TEXT    NOT NULL,
    case_id    INTEGER NOT NULL,             -- 0 when the action is not about a case
    outcome    TEXT    NOT NULL,
    detail     TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_case ON audit (case_id, id);

-- The overview reads whole days from the rollups below, and the hours at the edges of a period
-- that does not start or end at midnight from the cases: this index covers every column that
-- reads, so it reads a range of the index and never the table.
CREATE INDEX cases_overview ON cases (created_at, currency, state, category, recovered_by, amount, resolved_at);
CREATE INDEX cases_email ON cases (lower(customer_email));
CREATE INDEX messages_created ON messages (created_at, status);
CREATE INDEX events_received ON events (received_at);
CREATE INDEX events_status ON events (status, received_at);

-- Rollups: the overview's counts per UTC day (days since 1970), kept by triggers in the same
-- transaction as the row they count, so that an overview of a year reads a few thousand rows
-- whatever the number of cases. A row whose count fell to 0 stays; readers skip it.
CREATE TABLE case_rollup (
    day          INTEGER NOT NULL,           -- created_at's UTC day
    currency     TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    recovered_by TEXT    NOT NULL,
    cases        INTEGER NOT NULL,
    amount       INTEGER NOT NULL,
    PRIMARY KEY (day, currency, state, category, recovered_by)
) STRICT, WITHOUT ROWID;

-- Recovered cases by the lower bound, in hours, of their time-to-recovery bucket. The bounds
-- are recoup.recoveryBuckets'; the storetest suite fails if they drift apart.
CREATE TABLE recovery_rollup (
    day   INTEGER NOT NULL,
    hours INTEGER NOT NULL,
    cases INTEGER NOT NULL,
    PRIMARY KEY (day, hours)
) STRICT, WITHOUT ROWID;

CREATE TABLE message_rollup (
    day      INTEGER NOT NULL,
    status   TEXT    NOT NULL,
    messages INTEGER NOT NULL,
    PRIMARY KEY (day, status)
) STRICT, WITHOUT ROWID;

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

-- +goose StatementBegin
CREATE TRIGGER messages_rollup_insert AFTER INSERT ON messages WHEN NEW.created_at IS NOT NULL BEGIN
    INSERT INTO message_rollup VALUES (NEW.created_at / 86400000000, NEW.status, 1)
        ON CONFLICT DO UPDATE SET messages = messages + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_rollup_update AFTER UPDATE ON messages
WHEN OLD.status IS NOT NEW.status OR OLD.created_at IS NOT NEW.created_at BEGIN
    UPDATE message_rollup SET messages = messages - 1
        WHERE OLD.created_at IS NOT NULL AND day = OLD.created_at / 86400000000 AND status = OLD.status;
    INSERT INTO message_rollup SELECT NEW.created_at / 86400000000, NEW.status, 1 WHERE NEW.created_at IS NOT NULL
        ON CONFLICT DO UPDATE SET messages = messages + 1;
END;
-- +goose StatementEnd

-- The rows that exist already.
INSERT INTO case_rollup
    SELECT created_at / 86400000000, currency, state, category, recovered_by, count(*), sum(amount)
    FROM cases WHERE created_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
INSERT INTO recovery_rollup
    SELECT created_at / 86400000000, CASE
        WHEN (resolved_at - created_at) < 24 * 3600000000 THEN 0
        WHEN (resolved_at - created_at) < 72 * 3600000000 THEN 24
        WHEN (resolved_at - created_at) < 168 * 3600000000 THEN 72
        WHEN (resolved_at - created_at) < 336 * 3600000000 THEN 168
        WHEN (resolved_at - created_at) < 672 * 3600000000 THEN 336
        ELSE 672 END, count(*)
    FROM cases WHERE created_at IS NOT NULL AND state = 'recovered' AND resolved_at IS NOT NULL GROUP BY 1, 2;
INSERT INTO message_rollup
    SELECT created_at / 86400000000, status, count(*) FROM messages WHERE created_at IS NOT NULL GROUP BY 1, 2;

-- +goose Down
DROP TRIGGER messages_rollup_update;
DROP TRIGGER messages_rollup_insert;
DROP TRIGGER cases_rollup_update;
DROP TRIGGER cases_rollup_insert;
DROP TABLE message_rollup;
DROP TABLE recovery_rollup;
DROP TABLE case_rollup;
DROP INDEX events_status;
DROP INDEX events_received;
DROP INDEX messages_created;
DROP INDEX cases_email;
DROP INDEX cases_overview;
DROP TABLE audit;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
