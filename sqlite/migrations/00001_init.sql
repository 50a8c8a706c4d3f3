-- The recoup schema. Times are INTEGER unix microseconds, UTC; NULL stands for the zero time.
-- Tables are STRICT so that a value of the wrong type is an error rather than a surprise.
-- AUTOINCREMENT keeps IDs from ever being reused: jobs and keyset cursors refer to them.

-- +goose Up
CREATE TABLE cases (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id            TEXT    NOT NULL UNIQUE,
    customer_id           TEXT    NOT NULL,
    subscription_id       TEXT    NOT NULL,
    customer_email        TEXT    NOT NULL,
    amount                INTEGER NOT NULL,
    currency              TEXT    NOT NULL,
    state                 TEXT    NOT NULL,
    category              TEXT    NOT NULL,
    last_decline          TEXT,              -- JSON of recoup.Decline; NULL for none
    payment_method_id     TEXT    NOT NULL,
    new_payment_method_id TEXT    NOT NULL,
    attempts              INTEGER NOT NULL,
    stripe_attempts       INTEGER NOT NULL,
    first_failed_at       INTEGER,
    last_attempt_at       INTEGER,
    next_seq              INTEGER,           -- NULL when there is no next action
    next_kind             TEXT,
    next_at               INTEGER,
    next_reason           TEXT,
    plan_seq              INTEGER NOT NULL,
    recovered_by          TEXT    NOT NULL,
    final_action          TEXT    NOT NULL,
    closed_reason         TEXT    NOT NULL,
    created_at            INTEGER,
    updated_at            INTEGER,
    resolved_at           INTEGER,
    version               INTEGER NOT NULL
) STRICT;

CREATE INDEX cases_state ON cases (state, id);
CREATE INDEX cases_customer ON cases (customer_id, state);
CREATE INDEX cases_subscription ON cases (subscription_id);

CREATE TABLE timeline (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    at      INTEGER,
    kind    TEXT    NOT NULL,
    summary TEXT    NOT NULL,
    detail  TEXT                              -- JSON, kept byte for byte; NULL for none
) STRICT;

CREATE INDEX timeline_case ON timeline (case_id, id);

CREATE TABLE attempts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id           INTEGER NOT NULL REFERENCES cases (id),
    n                 INTEGER NOT NULL,
    source            TEXT    NOT NULL,
    idempotency_key   TEXT    NOT NULL,
    payment_method_id TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    decline           TEXT,                   -- JSON of recoup.Decline; NULL for none
    started_at        INTEGER,
    finished_at       INTEGER,
    UNIQUE (case_id, source, n)
) STRICT;

CREATE TABLE events (
    id           TEXT    PRIMARY KEY,
    type         TEXT    NOT NULL,
    object_id    TEXT    NOT NULL,
    customer_id  TEXT    NOT NULL,
    changed      TEXT,                        -- JSON array of strings; NULL for none
    livemode     INTEGER NOT NULL,
    created      INTEGER,
    payload      BLOB    NOT NULL,
    origin       TEXT    NOT NULL,
    received_at  INTEGER,
    status       TEXT    NOT NULL,
    processed_at INTEGER,
    note         TEXT    NOT NULL
) STRICT;

CREATE TABLE cursors (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE cursors;
DROP TABLE events;
DROP TABLE attempts;
DROP TABLE timeline;
DROP TABLE cases;
