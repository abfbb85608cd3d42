-- +goose Up
-- What a mail is, for the mailer's metric labels (leads_followup_sent_total
-- {type}): T3 or T7 for follow-ups.
ALTER TABLE mail_outbox ADD COLUMN kind text;
-- The queue-size gauge counts the due follow-ups not yet processed: only
-- scheduled ones are in this index, and a processed one leaves it.
CREATE INDEX follow_up_due_idx ON follow_up (due_at) WHERE state = 'SCHEDULED';

-- +goose Down
DROP INDEX follow_up_due_idx;
ALTER TABLE mail_outbox DROP COLUMN kind;
