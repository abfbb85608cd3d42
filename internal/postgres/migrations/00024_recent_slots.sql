-- +goose Up
-- The cockpit's recent lists keep the newest 10 entries per unit and kind.
-- An insert and a delete per entry left a dead row and a dead index entry
-- each time, and the territory units of a busy territory churn hundreds a
-- second: at 200 activities/s the trim walked thousands of dead entries
-- (15 ms per event; the shared consumer fell 6,000 events behind within
-- 30 s). Now each unit has 10 slots and a new entry overwrites the oldest:
-- no indexed column changes, so the update is HOT and the page prunes
-- itself.
ALTER TABLE cockpit_recent ADD COLUMN slot smallint;
UPDATE cockpit_recent r SET slot = k.slot FROM (
    SELECT territory, user_id, kind, at, event_id,
           row_number() OVER (PARTITION BY territory, user_id, kind ORDER BY at DESC, event_id DESC) - 1 AS slot
    FROM cockpit_recent) k
WHERE (r.territory, r.user_id, r.kind, r.at, r.event_id) = (k.territory, k.user_id, k.kind, k.at, k.event_id);
DELETE FROM cockpit_recent WHERE slot >= 10;
ALTER TABLE cockpit_recent ALTER COLUMN slot SET NOT NULL,
    ADD CONSTRAINT cockpit_recent_slot_check CHECK (slot >= 0 AND slot < 10),
    DROP CONSTRAINT cockpit_recent_pkey,
    ADD PRIMARY KEY (territory, user_id, kind, slot);
ALTER TABLE cockpit_recent SET (fillfactor = 70);

-- +goose Down
ALTER TABLE cockpit_recent RESET (fillfactor);
ALTER TABLE cockpit_recent DROP CONSTRAINT cockpit_recent_pkey, DROP CONSTRAINT cockpit_recent_slot_check,
    ADD PRIMARY KEY (territory, user_id, kind, at, event_id);
ALTER TABLE cockpit_recent DROP COLUMN slot;
