-- +goose Up
-- Lead protection (SPEC §2) pauses while a lead's clock is stopped and
-- adds the paused time to its deadlines. Each deadline runs from a moment
-- of its own (the last meaningful activity or the registration, the
-- reminder, the start of the grace period), so only the pauses after that
-- moment count: the total paused time and its reading when the last
-- meaningful activity and the last automated status were recorded give
-- it, without a history of pauses. Microseconds, as the timestamps. No
-- index reads them: a resume stays a HOT update.
ALTER TABLE leads
    ADD COLUMN paused_us             bigint NOT NULL DEFAULT 0 CHECK (paused_us >= 0),
    ADD COLUMN paused_us_at_activity bigint NOT NULL DEFAULT 0,
    ADD COLUMN paused_us_at_status   bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE leads DROP COLUMN paused_us, DROP COLUMN paused_us_at_activity, DROP COLUMN paused_us_at_status;
