-- Notices: messages to a customer outside any recovery case (a card expiring before the next
-- renewal, reminders of an invoice sent to be paid). UNIQUE (kind, key) is what keeps a notice
-- from being sent twice: the key names the customer, card and renewal, or the invoice and the
-- day of the reminder schedule.

-- +goose Up
CREATE TABLE notices (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT    NOT NULL,
    key               TEXT    NOT NULL,
    customer_id       TEXT    NOT NULL,
    subscription_id   TEXT    NOT NULL,
    invoice_id        TEXT    NOT NULL,
    payment_method_id TEXT    NOT NULL,
    due_at            INTEGER,
    channel           TEXT    NOT NULL,
    recipient         TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    body              TEXT    NOT NULL,
    html              TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    error             TEXT    NOT NULL,
    created_at        INTEGER,
    sent_at           INTEGER,
    UNIQUE (kind, key)
) STRICT;

-- +goose Down
DROP TABLE notices;
