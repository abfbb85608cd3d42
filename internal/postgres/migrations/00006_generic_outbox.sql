-- +goose Up
-- The outbox speaks of subjects and topics, not of leads and the cockpit:
-- the event package moves envelopes of any domain. Renames are catalog-only;
-- the topics backfill touches only rows of the retention window.
ALTER TABLE event_outbox RENAME COLUMN lead_id TO subject_id;
ALTER TABLE event_outbox RENAME COLUMN lead_version TO subject_version;
ALTER TABLE event_outbox ADD COLUMN topics text[] NOT NULL DEFAULT '{}';
UPDATE event_outbox SET topics = '{dashboard_updates}' WHERE dashboard;
ALTER TABLE event_outbox DROP COLUMN dashboard;

-- +goose Down
ALTER TABLE event_outbox ADD COLUMN dashboard boolean NOT NULL DEFAULT true;
UPDATE event_outbox SET dashboard = 'dashboard_updates' = ANY (topics);
ALTER TABLE event_outbox DROP COLUMN topics;
ALTER TABLE event_outbox RENAME COLUMN subject_version TO lead_version;
ALTER TABLE event_outbox RENAME COLUMN subject_id TO lead_id;
