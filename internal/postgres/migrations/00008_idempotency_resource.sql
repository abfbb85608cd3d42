-- +goose Up
-- The leads a stored response is about (SPEC §4): a replay re-checks that
-- the caller may still see each of them, else it answers 404, so a stored
-- body never outlives the caller's right to read it. Rows stored before
-- this column name no lead and replay as before.
ALTER TABLE idempotency_key ADD COLUMN lead_ids uuid[] NOT NULL DEFAULT '{}';
-- The row policy idempotency_own (00003) covers the new column; the grant
-- is restated so the column's access is written next to it.
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO freshplan_app;

-- +goose Down
ALTER TABLE idempotency_key DROP COLUMN lead_ids;
