-- The history import (recoup history import): the account's past failed invoices and their
-- payment attempts as Stripe lists them, what the timing model learned from them, and the
-- import's checkpoint, so that a killed import resumes where it stopped. Personal data is kept
-- to Stripe's own identifiers: no email, no name, no address, no card number (the card's brand,
-- funding and issuing country only).
-- And the source of each model observation: recoup's own charge, Stripe's attempt seen live,
-- or the imported history.

-- +goose Up
ALTER TABLE model_observations ADD COLUMN source text NOT NULL DEFAULT 'recoup';

-- Every charge the import read since its start date. invoice_id is set when the invoice
-- listing joins the charge to its invoice ('' for a charge of no failed invoice); learned when
-- its outcome was taught to the timing model.
CREATE TABLE history_charges (
    id                text        PRIMARY KEY,
    invoice_id        text        NOT NULL DEFAULT '',
    payment_intent_id text        NOT NULL DEFAULT '',
    customer_id       text        NOT NULL DEFAULT '',
    payment_method_id text        NOT NULL DEFAULT '',
    created           timestamptz NOT NULL,
    status            text        NOT NULL,
    amount            bigint      NOT NULL,
    currency          text        NOT NULL,
    decline           jsonb,                  -- failure, decline, advice and network codes
    card_brand        text        NOT NULL DEFAULT '',
    card_funding      text        NOT NULL DEFAULT '',
    card_country      text        NOT NULL DEFAULT '',
    learned           boolean     NOT NULL DEFAULT false
);

CREATE INDEX history_charges_payment_intent ON history_charges (payment_intent_id);
CREATE INDEX history_charges_invoice ON history_charges (invoice_id, created);
CREATE INDEX history_charges_unlearned ON history_charges (invoice_id) WHERE NOT learned AND invoice_id <> '';

-- Every invoice of the period whose payment failed at least once, and how it ended.
CREATE TABLE history_invoices (
    id              text        PRIMARY KEY,
    customer_id     text        NOT NULL,
    country         text        NOT NULL DEFAULT '', -- the failed card's issuing country
    amount          bigint      NOT NULL,
    currency        text        NOT NULL,
    category        text        NOT NULL,
    first_failed_at timestamptz NOT NULL,
    ended           text        NOT NULL DEFAULT '', -- paid_by_retry, paid_by_customer, unpaid; '' while open
    ended_at        timestamptz
);

CREATE INDEX history_invoices_customer ON history_invoices (customer_id, ended_at);
CREATE INDEX history_invoices_failed ON history_invoices (first_failed_at, id);

-- The imports, the latest last: where each listing stopped, so a killed import resumes.
CREATE TABLE history_imports (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    since          timestamptz NOT NULL,
    phase          text        NOT NULL,      -- charges, invoices, learn, done
    charges_after  text        NOT NULL DEFAULT '',
    invoices_after text        NOT NULL DEFAULT '',
    charges        bigint      NOT NULL DEFAULT 0,
    invoices       bigint      NOT NULL DEFAULT 0,
    observations   bigint      NOT NULL DEFAULT 0,
    started_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    finished_at    timestamptz
);

-- +goose Down
DROP TABLE history_imports;
DROP TABLE history_invoices;
DROP TABLE history_charges;
ALTER TABLE model_observations DROP COLUMN source;
