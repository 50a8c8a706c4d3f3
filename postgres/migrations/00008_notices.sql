-- Notices: messages to a customer outside any recovery case (a card expiring before the next
-- renewal, reminders of an invoice sent to be paid). UNIQUE (kind, key) is what keeps a notice
-- from being sent twice: the key names the customer, card and renewal, or the invoice and the
-- day of the reminder schedule.

-- +goose Up
CREATE TABLE notices (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text    NOT NULL,
    key               text    NOT NULL,
    customer_id       text    NOT NULL,
    subscription_id   text    NOT NULL,
    invoice_id        text    NOT NULL,
    payment_method_id text    NOT NULL,
    due_at            timestamptz,
    channel           text    NOT NULL,
    recipient         text    NOT NULL,
    subject           text    NOT NULL,
    body              text    NOT NULL,
    html              text    NOT NULL,
    status            text    NOT NULL,
    error             text    NOT NULL,
    created_at        timestamptz,
    sent_at           timestamptz,
    UNIQUE (kind, key)
);

-- +goose Down
DROP TABLE notices;
