-- The newest payment-method change Stripe reported for each customer (a card attached, made the
-- default, or refreshed by the card updater), kept whether or not a case is open: Stripe does
-- not order events, and a case that opens after the change applies it when it is not older
-- than the failure. Rows older than Stripe's event retention are pruned by the reconciliation.

-- +goose Up
CREATE TABLE payment_method_changes (
    customer_id       text        NOT NULL PRIMARY KEY,
    payment_method_id text        NOT NULL,
    refreshed         boolean     NOT NULL,
    changed_at        timestamptz NOT NULL,
    event_id          text        NOT NULL
);
CREATE INDEX payment_method_changes_changed_at ON payment_method_changes (changed_at);

-- +goose Down
DROP TABLE payment_method_changes;
