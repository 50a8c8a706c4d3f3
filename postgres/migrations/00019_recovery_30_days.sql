-- A time-to-recovery bound at 30 days (720 hours), beside the 28 days (672) of migration
-- 00004: the overview's cohort chart reads each week's recovery within 7, 14 and 30 days, and
-- the rollup keeps only bucket bounds. The triggers call recoup_recovery_bucket, so replacing
-- it is enough; the rollup is rebuilt from the cases.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recoup_recovery_bucket(created timestamptz, resolved timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN resolved - created < interval '24 hours' THEN 0
        WHEN resolved - created < interval '72 hours' THEN 24
        WHEN resolved - created < interval '168 hours' THEN 72
        WHEN resolved - created < interval '336 hours' THEN 168
        WHEN resolved - created < interval '672 hours' THEN 336
        WHEN resolved - created < interval '720 hours' THEN 672
        ELSE 720 END
$$;
-- +goose StatementEnd

DELETE FROM recovery_rollup;
INSERT INTO recovery_rollup
    SELECT recoup_day(created_at), recoup_recovery_bucket(created_at, resolved_at), count(*)
    FROM cases WHERE created_at IS NOT NULL AND state = 'recovered' AND resolved_at IS NOT NULL GROUP BY 1, 2;

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION recoup_recovery_bucket(created timestamptz, resolved timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN resolved - created < interval '24 hours' THEN 0
        WHEN resolved - created < interval '72 hours' THEN 24
        WHEN resolved - created < interval '168 hours' THEN 72
        WHEN resolved - created < interval '336 hours' THEN 168
        WHEN resolved - created < interval '672 hours' THEN 336
        ELSE 672 END
$$;
-- +goose StatementEnd

DELETE FROM recovery_rollup;
INSERT INTO recovery_rollup
    SELECT recoup_day(created_at), recoup_recovery_bucket(created_at, resolved_at), count(*)
    FROM cases WHERE created_at IS NOT NULL AND state = 'recovered' AND resolved_at IS NOT NULL GROUP BY 1, 2;
