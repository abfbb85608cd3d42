-- +goose Up
-- Follow-ups (SPEC §6). River's tables come from version 16 (River's own
-- migrations, internal/postgres/river.go).
--
-- freshplan_app inserts a lead's follow-up jobs in the transaction that
-- registers it (River's InsertTx): River's insert is INSERT … ON CONFLICT
-- (unique_key) DO UPDATE … RETURNING river_job.*, which needs INSERT,
-- UPDATE and SELECT on river_job and the id sequence. River's tables have
-- no row-level security: a job's arguments are a lead id and a kind.
GRANT SELECT, INSERT, UPDATE ON river_job TO freshplan_app;
GRANT USAGE ON SEQUENCE river_job_id_seq TO freshplan_app;

-- The follow-up record: the source of truth of whether a lead got a
-- follow-up (River deletes finished jobs after a while). One per lead and
-- kind; its River job is only the timer.
CREATE TABLE follow_up (
    lead_id      uuid NOT NULL REFERENCES leads (id),
    kind         text NOT NULL CHECK (kind IN ('T3', 'T7')),
    territory    text NOT NULL,
    due_at       timestamptz NOT NULL,
    state        text NOT NULL DEFAULT 'SCHEDULED' CHECK (state IN ('SCHEDULED', 'SENT', 'SKIPPED')),
    reason       text,
    job_id       bigint,
    processed_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lead_id, kind),
    CHECK ((state = 'SKIPPED') = (reason IS NOT NULL))
);
ALTER TABLE follow_up ENABLE ROW LEVEL SECURITY;
ALTER TABLE follow_up FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON follow_up TO freshplan_app;
-- Visible and writable with the lead: whoever may see a lead may see and
-- schedule its follow-ups; the system (the worker) may do everything.
CREATE POLICY follow_up_read ON follow_up FOR SELECT TO freshplan_app
    USING ((SELECT app_role()) = 'SYSTEM' OR EXISTS (SELECT 1 FROM leads l WHERE l.id = follow_up.lead_id));
CREATE POLICY follow_up_insert ON follow_up FOR INSERT TO freshplan_app
    WITH CHECK ((SELECT app_role()) = 'SYSTEM' OR EXISTS (SELECT 1 FROM leads l WHERE l.id = follow_up.lead_id));
CREATE POLICY follow_up_update ON follow_up FOR UPDATE TO freshplan_app
    USING ((SELECT app_role()) = 'SYSTEM' OR EXISTS (SELECT 1 FROM leads l WHERE l.id = follow_up.lead_id));

-- +goose Down
DROP TABLE follow_up;
REVOKE USAGE ON SEQUENCE river_job_id_seq FROM freshplan_app;
REVOKE SELECT, INSERT, UPDATE ON river_job FROM freshplan_app;
