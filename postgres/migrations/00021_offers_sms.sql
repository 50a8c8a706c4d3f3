-- Issue 21, the customer's paths: the offers a customer chose on the card update page (one
-- row per case and offer: a repeated click counts once), the SMS consent of each phone number
-- (the person's STOP or START outranks the merchant's metadata), and what each message sent
-- cost (SMS is charged per message).

-- +goose Up
CREATE TABLE offer_choices (
    case_id   bigint      NOT NULL REFERENCES cases (id),
    offer     text        NOT NULL,
    segment   text        NOT NULL,
    chosen_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, offer)
);
CREATE INDEX offer_choices_chosen_at ON offer_choices (chosen_at);

CREATE TABLE sms_consents (
    phone       text        NOT NULL PRIMARY KEY,
    customer_id text        NOT NULL,
    consented   boolean     NOT NULL,
    source      text        NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE message_costs (
    message_id  bigint      NOT NULL PRIMARY KEY REFERENCES messages (id),
    case_id     bigint      NOT NULL,
    channel     text        NOT NULL,
    provider_id text        NOT NULL,
    segments    integer     NOT NULL,
    cost_micros bigint      NOT NULL,
    currency    text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX message_costs_created_at ON message_costs (created_at);

-- +goose Down
DROP TABLE message_costs;
DROP TABLE sms_consents;
DROP TABLE offer_choices;
