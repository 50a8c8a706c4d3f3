-- The history import (recoup history import): the account's past failed invoices and their
-- payment attempts as Stripe lists them, what the timing model learned from them, and the
-- import's checkpoint, so that a killed import resumes where it stopped. Personal data is kept
-- to Stripe's own identifiers: no email, no name, no address, no card number (the card's brand,
-- funding and issuing country only).
-- And the source of each model observation: recoup's own charge, Stripe's attempt seen live,
-- or the imported history.

-- +goose Up
ALTER TABLE model_observations ADD COLUMN source TEXT NOT NULL DEFAULT 'recoup';

-- Every charge the import read since its start date. invoice_id is set when the invoice
-- listing joins the charge to its invoice ('' for a charge of no failed invoice); learned when
-- its outcome was taught to the timing model.
CREATE TABLE history_charges (
    id                TEXT    PRIMARY KEY,
    invoice_id        TEXT    NOT NULL DEFAULT '',
    payment_intent_id TEXT    NOT NULL DEFAULT '',
    customer_id       TEXT    NOT NULL DEFAULT '',
    payment_method_id TEXT    NOT NULL DEFAULT '',
    created           INTEGER NOT NULL,
    status            TEXT    NOT NULL,
    amount            INTEGER NOT NULL,
    currency          TEXT    NOT NULL,
    decline           TEXT,                   -- JSON: failure, decline, advice and network codes
    card_brand        TEXT    NOT NULL DEFAULT '',
    card_funding      TEXT    NOT NULL DEFAULT '',
    card_country      TEXT    NOT NULL DEFAULT '',
    learned           INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX history_charges_payment_intent ON history_charges (payment_intent_id);
CREATE INDEX history_charges_invoice ON history_charges (invoice_id, created);
CREATE INDEX history_charges_unlearned ON history_charges (invoice_id) WHERE learned = 0 AND invoice_id <> '';

-- Every invoice of the period whose payment failed at least once, and how it ended.
CREATE TABLE history_invoices (
    id              TEXT    PRIMARY KEY,
    customer_id     TEXT    NOT NULL,
    country         TEXT    NOT NULL DEFAULT '', -- the failed card's issuing country
    amount          INTEGER NOT NULL,
    currency        TEXT    NOT NULL,
    category        TEXT    NOT NULL,
    first_failed_at INTEGER NOT NULL,
    ended           TEXT    NOT NULL DEFAULT '', -- paid_by_retry, paid_by_customer, unpaid; '' while open
    ended_at        INTEGER
) STRICT;

CREATE INDEX history_invoices_customer ON history_invoices (customer_id, ended_at);
CREATE INDEX history_invoices_failed ON history_invoices (first_failed_at, id);

-- The imports, the latest last: where each listing stopped, so a killed import resumes.
CREATE TABLE history_imports (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    since          INTEGER NOT NULL,
    phase          TEXT    NOT NULL,           -- charges, invoices, learn, done
    charges_after  TEXT    NOT NULL DEFAULT '',
    invoices_after TEXT    NOT NULL DEFAULT '',
    charges        INTEGER NOT NULL DEFAULT 0,
    invoices       INTEGER NOT NULL DEFAULT 0,
    observations   INTEGER NOT NULL DEFAULT 0,
    started_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    finished_at    INTEGER
) STRICT;

-- +goose Down
DROP TABLE history_imports;
DROP TABLE history_invoices;
DROP TABLE history_charges;
ALTER TABLE model_observations DROP COLUMN source;
