-- What the recovery policy records on a case: the segment it was sorted into when it opened,
-- where its final action stands with an operator (manual review), and the charges recoup would
-- have made in observe-only mode. Existing cases belong to the default segment.

-- +goose Up
ALTER TABLE cases ADD COLUMN segment text NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN review text NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN reviewed_by text NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN shadow_charges integer NOT NULL DEFAULT 0;
-- The review queue of the dashboard.
CREATE INDEX cases_review ON cases (review, id) WHERE review = 'pending';

-- +goose Down
DROP INDEX cases_review;
ALTER TABLE cases DROP COLUMN shadow_charges;
ALTER TABLE cases DROP COLUMN reviewed_by;
ALTER TABLE cases DROP COLUMN review;
ALTER TABLE cases DROP COLUMN segment;
