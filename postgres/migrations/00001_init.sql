-- The recoup schema. Tables are created in the connection's current schema (search_path).
-- NULL stands for the zero time.

-- +goose Up
CREATE TABLE cases (
    id                    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id            text        NOT NULL UNIQUE,
    customer_id           text        NOT NULL,
    subscription_id       text        NOT NULL,
    customer_email        text        NOT NULL,
    amount                bigint      NOT NULL,
    currency              text        NOT NULL,
    state                 text        NOT NULL,
    category              text        NOT NULL,
    last_decline          jsonb,                 -- recoup.Decline; NULL for none
    payment_method_id     text        NOT NULL,
    new_payment_method_id text        NOT NULL,
    attempts              integer     NOT NULL,
    stripe_attempts       integer     NOT NULL,
    first_failed_at       timestamptz,
    last_attempt_at       timestamptz,
    next_seq              integer,               -- NULL when there is no next action
    next_kind             text,
    next_at               timestamptz,
    next_reason           text,
    plan_seq              integer     NOT NULL,
    recovered_by          text        NOT NULL,
    final_action          text        NOT NULL,
    closed_reason         text        NOT NULL,
    created_at            timestamptz,
    updated_at            timestamptz,
    resolved_at           timestamptz,
    version               bigint      NOT NULL
);

CREATE INDEX cases_state ON cases (state, id);
CREATE INDEX cases_customer ON cases (customer_id, state);
CREATE INDEX cases_subscription ON cases (subscription_id);

CREATE TABLE timeline (
    id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id bigint      NOT NULL REFERENCES cases (id),
    at      timestamptz,
    kind    text        NOT NULL,
    summary text        NOT NULL,
    detail  json                                 -- json, not jsonb: kept byte for byte
);

CREATE INDEX timeline_case ON timeline (case_id, id);

CREATE TABLE attempts (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id           bigint      NOT NULL REFERENCES cases (id),
    n                 integer     NOT NULL,
    source            text        NOT NULL,
    idempotency_key   text        NOT NULL,
    payment_method_id text        NOT NULL,
    status            text        NOT NULL,
    decline           jsonb,                     -- recoup.Decline; NULL for none
    started_at        timestamptz,
    finished_at       timestamptz,
    UNIQUE (case_id, source, n)
);

CREATE TABLE events (
    id           text        PRIMARY KEY,
    type         text        NOT NULL,
    object_id    text        NOT NULL,
    customer_id  text        NOT NULL,
    changed      text[],                         -- NULL for none
    livemode     boolean     NOT NULL,
    created      timestamptz,
    payload      bytea       NOT NULL,
    origin       text        NOT NULL,
    received_at  timestamptz,
    status       text        NOT NULL,
    processed_at timestamptz,
    note         text        NOT NULL
);

CREATE TABLE cursors (
    name  text PRIMARY KEY,
    value text NOT NULL
);

-- +goose Down
DROP TABLE cursors;
DROP TABLE events;
DROP TABLE attempts;
DROP TABLE timeline;
DROP TABLE cases;
