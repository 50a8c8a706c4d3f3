-- Messages to customers: one per campaign step of a case. UNIQUE (case_id, step) is what keeps
-- a step from being sent twice, and its index also serves the listing of a case's messages.

-- +goose Up
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    invoice_id  TEXT    NOT NULL,
    customer_id TEXT    NOT NULL,
    step        INTEGER NOT NULL,
    channel     TEXT    NOT NULL,
    template    TEXT    NOT NULL,
    tone        TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,             -- Message.To
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,             -- Message.Text, as rendered
    status      TEXT    NOT NULL,
    error       TEXT    NOT NULL,
    created_at  INTEGER,
    sent_at     INTEGER,
    UNIQUE (case_id, step)
) STRICT;

-- +goose Down
DROP TABLE messages;
