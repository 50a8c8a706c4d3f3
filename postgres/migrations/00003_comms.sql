-- Customer communication: the HTML part of a rendered message, and the suppression list. A
-- suppression is per customer and channel (a hard bounce, an unsubscribe): the campaign's later
-- steps on that channel are skipped. The first record of a (customer, channel) stands.

-- +goose Up
ALTER TABLE messages ADD COLUMN html text NOT NULL DEFAULT '';

CREATE TABLE suppressions (
    customer_id text        NOT NULL,
    channel     text        NOT NULL,
    reason      text        NOT NULL,
    detail      text        NOT NULL,
    case_id     bigint,                         -- NULL when no case led to it
    created_at  timestamptz,
    PRIMARY KEY (customer_id, channel)
);

-- +goose Down
DROP TABLE suppressions;
ALTER TABLE messages DROP COLUMN html;
