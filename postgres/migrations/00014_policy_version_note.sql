-- A policy version may say where it came from when it is not the file as written: the policy
-- an operator put in force by promoting an arm of an experiment (issue 17) notes "arm X of
-- experiment Y promoted by Z".

-- +goose Up
ALTER TABLE policy_versions ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE policy_versions DROP COLUMN note;
