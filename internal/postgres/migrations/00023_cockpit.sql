-- +goose Up
-- The sales cockpit's aggregates (SPEC §7), kept by the shared consumer
-- "cockpit" from the events, one batch per transaction: no row that every
-- write in a territory must lock.
--
-- A unit is a territory (user_id '') or a user in a territory (the leads
-- they own or collaborate on there). cockpit_count holds, per unit, plain
-- counts (at = 0001-01-01, no time: leads per status, stopped clocks)
-- and time buckets (at = the instant or the local day a figure
-- refers to: protection ends, follow-ups due, sent, converted, answered);
-- figures that move with time alone are summed over buckets at read time.
CREATE TABLE cockpit_count (
    territory text NOT NULL,
    user_id   text NOT NULL,
    metric    text NOT NULL,
    at        timestamptz NOT NULL,
    value     bigint NOT NULL,
    PRIMARY KEY (territory, user_id, metric, at)
);
-- What each lead contributes now: the consumer takes the difference to
-- what it contributed before, so an event applied twice, late or out of
-- order changes nothing more. Only the system has any grant on it (no row
-- security, so that a recount may COPY into it).
CREATE TABLE cockpit_lead (
    lead_id       uuid PRIMARY KEY,
    territory     text NOT NULL,
    users         text[] NOT NULL,
    contributions text[] NOT NULL
);
-- The last follow-ups and activities per unit, for the widget's recent
-- lists, trimmed by the consumer; audience as recorded with the event.
CREATE TABLE cockpit_recent (
    territory     text NOT NULL,
    user_id       text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('followup', 'activity')),
    at            timestamptz NOT NULL,
    event_id      bigint NOT NULL,
    lead_id       uuid NOT NULL,
    owner_user_id text NOT NULL,
    collaborator_user_ids text[] NOT NULL,
    item          jsonb NOT NULL,
    PRIMARY KEY (territory, user_id, kind, at, event_id)
);
ALTER TABLE cockpit_count ENABLE ROW LEVEL SECURITY;
ALTER TABLE cockpit_count FORCE ROW LEVEL SECURITY;
ALTER TABLE cockpit_recent ENABLE ROW LEVEL SECURITY;
ALTER TABLE cockpit_recent FORCE ROW LEVEL SECURITY;
GRANT SELECT ON cockpit_count, cockpit_recent TO freshplan_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON cockpit_count, cockpit_lead, cockpit_recent TO freshplan_system;
-- A rep reads the units of their own in their territories, a manager the
-- territory units of theirs, an admin every territory unit; only the
-- system writes.
CREATE POLICY cockpit_count_read ON cockpit_count FOR SELECT TO freshplan_app
    USING ((SELECT app_role()) = 'SYSTEM'
           OR ((SELECT app_role()) = 'ADMIN' AND user_id = '')
           OR ((SELECT app_role()) = 'MANAGER' AND user_id = '' AND ARRAY[territory] <@ (SELECT app_territories()))
           OR ((SELECT app_role()) = 'SALES' AND user_id = (SELECT app_user_id())
               AND ARRAY[territory] <@ (SELECT app_territories())));
CREATE POLICY cockpit_count_write ON cockpit_count FOR ALL TO freshplan_system
    USING ((SELECT app_role()) = 'SYSTEM') WITH CHECK ((SELECT app_role()) = 'SYSTEM');
CREATE POLICY cockpit_recent_read ON cockpit_recent FOR SELECT TO freshplan_app
    USING ((SELECT app_role()) = 'SYSTEM'
           OR ((SELECT app_role()) = 'ADMIN' AND user_id = '')
           OR ((SELECT app_role()) = 'MANAGER' AND user_id = '' AND ARRAY[territory] <@ (SELECT app_territories()))
           OR ((SELECT app_role()) = 'SALES' AND user_id = (SELECT app_user_id())
               AND ARRAY[territory] <@ (SELECT app_territories())));
CREATE POLICY cockpit_recent_write ON cockpit_recent FOR ALL TO freshplan_system
    USING ((SELECT app_role()) = 'SYSTEM') WITH CHECK ((SELECT app_role()) = 'SYSTEM');

-- +goose Down
DROP TABLE cockpit_recent, cockpit_lead, cockpit_count;
