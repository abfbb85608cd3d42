-- +goose Up
-- The mail outbox (SPEC §6): a follow-up's mail is written here in the
-- follow-up's transaction; the mailer delivers it over SMTP outside any
-- transaction, claiming it for a short lease (claimed_until) first, and
-- records SENT or FAILED. message_id is derived from what the mail is (a
-- lead's follow-up), so a resend after a crash carries the same one.
CREATE TABLE mail_outbox (
    id               uuid PRIMARY KEY,
    message_id       text NOT NULL UNIQUE,
    lead_id          uuid REFERENCES leads (id),
    territory        text NOT NULL,
    recipient        text NOT NULL,
    subject          text NOT NULL,
    text_body        text NOT NULL,
    html_body        text NOT NULL,
    unsubscribe_url  text,
    state            text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'SENT', 'FAILED')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    claimed_until    timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
-- The mailer's queue: only pending mails, in the order they may go.
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (next_attempt_at) WHERE state = 'PENDING';
ALTER TABLE mail_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE mail_outbox FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON mail_outbox TO freshplan_app;
-- Mails hold contact data: only the system (worker, mailer) reads or
-- writes them.
CREATE POLICY mail_system ON mail_outbox FOR ALL TO freshplan_app
    USING ((SELECT app_role()) = 'SYSTEM') WITH CHECK ((SELECT app_role()) = 'SYSTEM');

-- +goose Down
DROP TABLE mail_outbox;
