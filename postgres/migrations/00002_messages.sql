-- Messages to customers: one per campaign step of a case. UNIQUE (case_id, step) is what keeps
-- a step from being sent twice, and its index also serves the listing of a case's messages.

-- +goose Up
CREATE TABLE messages (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     bigint      NOT NULL REFERENCES cases (id),
    invoice_id  text        NOT NULL,
    customer_id text        NOT NULL,
    step        integer     NOT NULL,
    channel     text        NOT NULL,
    template    text        NOT NULL,
    tone        text        NOT NULL,
    recipient   text        NOT NULL,           -- Message.To
    subject     text        NOT NULL,
    body        text        NOT NULL,           -- Message.Text, as rendered
    status      text        NOT NULL,
    error       text        NOT NULL,
    created_at  timestamptz,
    sent_at     timestamptz,
    UNIQUE (case_id, step)
);

-- +goose Down
DROP TABLE messages;
