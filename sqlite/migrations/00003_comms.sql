-- Customer communication: the HTML part of a rendered message, and the suppression list. A
-- suppression is per customer and channel (a hard bounce, an unsubscribe): the campaign's later
-- steps on that channel are skipped. The first record of a (customer, channel) stands.

-- +goose Up
ALTER TABLE messages ADD COLUMN html TEXT NOT NULL DEFAULT '';

CREATE TABLE suppressions (
    customer_id TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    case_id     INTEGER,                      -- NULL when no case led to it
    created_at  INTEGER,
    PRIMARY KEY (customer_id, channel)
) STRICT;

-- +goose Down
DROP TABLE suppressions;
ALTER TABLE messages DROP COLUMN html;
