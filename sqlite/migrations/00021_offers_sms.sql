-- Issue 21, the customer's paths: the offers a customer chose on the card update page (one
-- row per case and offer: a repeated click counts once), the SMS consent of each phone number
-- (the person's STOP or START outranks the merchant's metadata), and what each message sent
-- cost (SMS is charged per message).

-- +goose Up
CREATE TABLE offer_choices (
    case_id   INTEGER NOT NULL REFERENCES cases (id),
    offer     TEXT    NOT NULL,
    segment   TEXT    NOT NULL,
    chosen_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, offer)
) STRICT;
CREATE INDEX offer_choices_chosen_at ON offer_choices (chosen_at);

CREATE TABLE sms_consents (
    phone       TEXT    NOT NULL PRIMARY KEY,
    customer_id TEXT    NOT NULL,
    consented   INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE message_costs (
    message_id  INTEGER NOT NULL PRIMARY KEY REFERENCES messages (id),
    case_id     INTEGER NOT NULL,
    channel     TEXT    NOT NULL,
    provider_id TEXT    NOT NULL,
    segments    INTEGER NOT NULL,
    cost_micros INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX message_costs_created_at ON message_costs (created_at);

-- +goose Down
DROP TABLE message_costs;
DROP TABLE sms_consents;
DROP TABLE offer_choices;
