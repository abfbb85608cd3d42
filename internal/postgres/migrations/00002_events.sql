-- +goose Up
-- The outbox: an event exists if and only if the transaction that wrote it
-- committed. xid is the writing transaction (pg_current_xact_id), so readers
-- can tell rows that commit late from rows they have seen (see package event).
CREATE TABLE event_outbox (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid                   xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id              uuid NOT NULL UNIQUE,
    type                  text NOT NULL,
    lead_id               uuid,
    lead_version          integer,
    territory             text,
    -- Who may see the event, recorded when it was written.
    owner_user_id         text,
    collaborator_user_ids text[] NOT NULL DEFAULT '{}',
    dashboard             boolean NOT NULL DEFAULT true,
    envelope              jsonb NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX event_outbox_xid_idx ON event_outbox (xid);
CREATE INDEX event_outbox_created_idx ON event_outbox (created_at);

ALTER TABLE event_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_outbox FORCE ROW LEVEL SECURITY;

-- The same rules as the leads, on the columns recorded with the event.
CREATE POLICY event_read ON event_outbox FOR SELECT TO freshplan_app
    USING (app_is_global()
           OR (app_role() = 'MANAGER' AND app_in_territory(territory))
           OR (app_role() = 'SALES' AND app_in_territory(territory)
               AND (owner_user_id = app_user_id() OR app_user_id() = ANY (collaborator_user_ids))));
CREATE POLICY event_insert ON event_outbox FOR INSERT TO freshplan_app
    WITH CHECK (app_is_global() OR app_in_territory(territory));
-- Retention deletes old rows; only background jobs act as SYSTEM.
CREATE POLICY event_delete ON event_outbox FOR DELETE TO freshplan_app
    USING (app_role() = 'SYSTEM');

-- Durable position of each shared consumer: everything below watermark is
-- done; last_id and in_flight describe the rows above it already seen.
CREATE TABLE event_consumer (
    name       text PRIMARY KEY,
    watermark  xid8 NOT NULL,
    last_id    bigint NOT NULL,
    in_flight  xid8[] NOT NULL DEFAULT '{}',
    -- Transactions from xmax on were invisible to the last read too.
    snapshot_xmax xid8,
    enabled    boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Idempotency keys a consumer with side effects has processed, written in
-- the transaction of the effect.
CREATE TABLE processed_event (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX processed_event_at_idx ON processed_event (processed_at);

-- Events a consumer kept failing on: visible, countable, replayable.
CREATE TABLE parked_event (
    consumer   text NOT NULL,
    event_id   uuid NOT NULL,
    outbox_id  bigint NOT NULL,
    attempts   integer NOT NULL,
    last_error text NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

ALTER TABLE event_consumer ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_consumer FORCE ROW LEVEL SECURITY;
ALTER TABLE processed_event ENABLE ROW LEVEL SECURITY;
ALTER TABLE processed_event FORCE ROW LEVEL SECURITY;
ALTER TABLE parked_event ENABLE ROW LEVEL SECURITY;
ALTER TABLE parked_event FORCE ROW LEVEL SECURITY;
CREATE POLICY consumer_system ON event_consumer TO freshplan_app
    USING (app_role() = 'SYSTEM') WITH CHECK (app_role() = 'SYSTEM');
CREATE POLICY processed_system ON processed_event TO freshplan_app
    USING (app_role() = 'SYSTEM') WITH CHECK (app_role() = 'SYSTEM');
CREATE POLICY parked_system ON parked_event TO freshplan_app
    USING (app_role() = 'SYSTEM' OR app_role() = 'ADMIN') WITH CHECK (app_role() = 'SYSTEM');

GRANT SELECT, INSERT, DELETE ON event_outbox TO freshplan_app;
GRANT SELECT, INSERT, UPDATE ON event_consumer TO freshplan_app;
GRANT SELECT, INSERT, DELETE ON processed_event TO freshplan_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON parked_event TO freshplan_app;
GRANT USAGE ON SEQUENCE event_outbox_id_seq TO freshplan_app;

-- +goose Down
DROP TABLE parked_event, processed_event, event_consumer, event_outbox;
