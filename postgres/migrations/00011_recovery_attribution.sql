-- Recovery attribution by the card recoup charged. A charge of recoup's records how the card it
-- ran on came to be the case's (attempts.card: the card that failed, that card as the card
-- updater refreshed it, or a card the customer supplied), and the case keeps the same for its
-- card and its new card; a successful charge is credited accordingly (recoup_retry,
-- card_updater, customer_new_card). "customer" becomes customer_paid (the customer paid outside
-- recoup's charges) and "stripe" becomes stripe_retry.
--
-- Existing rows: attempts keep card '' (recorded before sources were). A case waiting to charge
-- a new card gets its source: the card updater's if it is the card that failed (only a refresh
-- makes that card new again), else the customer's. A case recovered by recoup's charge on a
-- named payment method is re-credited the same way; one recovered on the card that failed stays
-- recoup_retry. The rollups follow through their triggers.

-- +goose Up
ALTER TABLE attempts ADD COLUMN card text NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN card_source text NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN new_card_source text NOT NULL DEFAULT '';

UPDATE cases SET new_card_source = CASE WHEN new_payment_method_id = payment_method_id THEN 'refreshed' ELSE 'customer' END
    WHERE new_payment_method_id <> '';

-- The campaign page's update rate counts both of the customer's recoveries: a new card recoup
-- then charged, and paying themselves.
DROP TRIGGER cases_messages_recovered ON cases;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recoup_messages_recovered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages SET recovered_at = CASE WHEN NEW.state = 'recovered' AND NEW.recovered_by IN ('customer_new_card', 'customer_paid')
        THEN NEW.resolved_at END
        WHERE case_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cases_messages_recovered AFTER UPDATE ON cases FOR EACH ROW
    WHEN ((OLD.state = 'recovered' AND OLD.recovered_by IN ('customer_new_card', 'customer_paid'))
            IS DISTINCT FROM (NEW.state = 'recovered' AND NEW.recovered_by IN ('customer_new_card', 'customer_paid'))
        OR (NEW.state = 'recovered' AND NEW.recovered_by IN ('customer_new_card', 'customer_paid') AND OLD.resolved_at IS DISTINCT FROM NEW.resolved_at))
    EXECUTE FUNCTION recoup_messages_recovered();

UPDATE cases SET recovered_by = 'customer_paid' WHERE recovered_by = 'customer';
UPDATE cases SET recovered_by = 'stripe_retry' WHERE recovered_by = 'stripe';
UPDATE cases SET recovered_by = CASE WHEN payment_method_id = (SELECT a.payment_method_id FROM attempts a
        WHERE a.case_id = cases.id AND a.source = 'recoup' AND a.status = 'succeeded' ORDER BY a.id DESC LIMIT 1)
    THEN 'card_updater' ELSE 'customer_new_card' END
    WHERE recovered_by = 'recoup_retry' AND EXISTS (SELECT 1 FROM attempts a
        WHERE a.case_id = cases.id AND a.source = 'recoup' AND a.status = 'succeeded' AND a.payment_method_id <> '');

-- +goose Down
UPDATE cases SET recovered_by = 'recoup_retry' WHERE recovered_by IN ('card_updater', 'customer_new_card');
UPDATE cases SET recovered_by = 'stripe' WHERE recovered_by = 'stripe_retry';
UPDATE cases SET recovered_by = 'customer' WHERE recovered_by = 'customer_paid';
DROP TRIGGER cases_messages_recovered ON cases;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recoup_messages_recovered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages SET recovered_at = CASE WHEN NEW.state = 'recovered' AND NEW.recovered_by = 'customer' THEN NEW.resolved_at END
        WHERE case_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cases_messages_recovered AFTER UPDATE ON cases FOR EACH ROW
    WHEN ((OLD.state = 'recovered' AND OLD.recovered_by = 'customer') IS DISTINCT FROM (NEW.state = 'recovered' AND NEW.recovered_by = 'customer')
        OR (NEW.state = 'recovered' AND NEW.recovered_by = 'customer' AND OLD.resolved_at IS DISTINCT FROM NEW.resolved_at))
    EXECUTE FUNCTION recoup_messages_recovered();

UPDATE messages SET recovered_at = c.resolved_at FROM cases c
    WHERE c.id = messages.case_id AND c.state = 'recovered' AND c.recovered_by = 'customer';
ALTER TABLE cases DROP COLUMN new_card_source;
ALTER TABLE cases DROP COLUMN card_source;
ALTER TABLE attempts DROP COLUMN card;
