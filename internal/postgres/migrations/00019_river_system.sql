-- +goose Up
-- River's client (its job fetching, completion, leader election, queue
-- bookkeeping and notifications) runs as freshplan_system: the service's
-- login role switches to it on River's own connections
-- (postgres.OpenSystem). Not as freshplan_app, which only inserts jobs.
GRANT SELECT, INSERT, UPDATE, DELETE ON river_job, river_leader, river_queue, river_notification TO freshplan_system;
GRANT SELECT ON river_migration TO freshplan_system;
GRANT USAGE ON SEQUENCE river_job_id_seq, river_notification_id_seq TO freshplan_system;

-- +goose Down
REVOKE USAGE ON SEQUENCE river_job_id_seq, river_notification_id_seq FROM freshplan_system;
REVOKE SELECT ON river_migration FROM freshplan_system;
REVOKE SELECT, INSERT, UPDATE, DELETE ON river_job, river_leader, river_queue, river_notification FROM freshplan_system;
