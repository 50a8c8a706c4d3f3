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

-- The overview groups the cases opened in a period: this index covers every column it reads,
-- so it reads a range of the index and never the table.
CREATE INDEX cases_overview ON cases (created_at, currency, state, category, recovered_by, amount, resolved_at);
CREATE INDEX cases_email ON cases (lower(customer_email));
CREATE INDEX messages_created ON messages (created_at, status);
CREATE INDEX events_received ON events (received_at);
CREATE INDEX events_status ON events (status);

-- +goose Down
DROP INDEX events_status;
DROP INDEX events_received;
DROP INDEX messages_created;
DROP INDEX cases_email;
DROP INDEX cases_overview;
DROP TABLE audit;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
