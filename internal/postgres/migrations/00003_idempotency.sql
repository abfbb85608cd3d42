-- +goose Up
-- Idempotency-Key records (SPEC §4), per user. A row is inserted in the
-- business transaction before the change, so the change and its stored
-- response commit together; a concurrent repeat's insert waits on it.
CREATE TABLE idempotency_key (
    user_id      text NOT NULL,
    key          text NOT NULL,
    fingerprint  text NOT NULL,
    status       integer,
    headers      jsonb NOT NULL DEFAULT '{}',
    body         bytea,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_key_expires_idx ON idempotency_key (expires_at);

ALTER TABLE idempotency_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_key FORCE ROW LEVEL SECURITY;
CREATE POLICY idempotency_own ON idempotency_key TO freshplan_app
    USING (user_id = app_user_id() OR app_role() = 'SYSTEM')
    WITH CHECK (user_id = app_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO freshplan_app;

-- Force-created soft duplicates are audited; the reason is kept with the row.
ALTER TABLE leads ADD COLUMN duplicate_override_reason text;

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- +goose Down
ALTER TABLE leads DROP COLUMN duplicate_override_reason;
DROP TABLE idempotency_key;
