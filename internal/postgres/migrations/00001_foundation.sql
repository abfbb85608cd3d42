-- +goose Up
-- The role every request and job transaction switches to (SET LOCAL ROLE).
-- It owns nothing and cannot bypass row-level security, so the policies below
-- hold even when the connection role is a superuser. Roles are cluster-wide:
-- another database on the same server may have created it already.
-- +goose StatementBegin
DO $$
BEGIN
    CREATE ROLE freshplan_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
-- +goose StatementEnd

-- Settings read by the policies. Missing settings yield NULL or an empty
-- array, which no policy accepts: fail closed.
CREATE FUNCTION app_user_id() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('app.user_id', true), '') $$;

CREATE FUNCTION app_role() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('app.role', true), '') $$;

CREATE FUNCTION app_territories() RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT coalesce(string_to_array(nullif(current_setting('app.territories', true), ''), ','), '{}'::text[]) $$;

-- True for ADMIN and SYSTEM, who see every territory.
CREATE FUNCTION app_is_global() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(app_role() IN ('ADMIN', 'SYSTEM'), false) $$;

-- True when the caller's role is MANAGER or SALES and t is one of its territories.
CREATE FUNCTION app_in_territory(t text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(app_role() IN ('MANAGER', 'SALES') AND t = ANY (app_territories()), false) $$;

CREATE TABLE territories (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
    name        text NOT NULL,
    currency    text NOT NULL,
    vat_rate    numeric(5, 2) NOT NULL,
    locale      text NOT NULL,
    time_zone   text NOT NULL,
    country_codes text[] NOT NULL
);

INSERT INTO territories (code, name, currency, vat_rate, locale, time_zone, country_codes) VALUES
    ('DE', 'Deutschland', 'EUR', 19.00, 'de-DE', 'Europe/Berlin', '{DE}'),
    ('CH', 'Schweiz', 'CHF', 8.10, 'de-CH', 'Europe/Zurich', '{CH}'),
    ('AT', 'Österreich', 'EUR', 20.00, 'de-AT', 'Europe/Vienna', '{AT}');

-- The user directory: recorded from the tokens users present and by seed.
CREATE TABLE users (
    id           text PRIMARY KEY CHECK (id <> '' AND id <> 'SYSTEM'),
    name         text NOT NULL DEFAULT '',
    email        text NOT NULL DEFAULT '',
    roles        text[] NOT NULL DEFAULT '{}',
    territories  text[] NOT NULL DEFAULT '{}',
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_territories_idx ON users USING gin (territories);

-- Collaborators are an array on the lead row rather than a table of their
-- own: the SALES visibility policy needs them, and a policy on leads that
-- reads a collaborator table whose policy reads leads recurses.
CREATE TABLE leads (
    id                      uuid PRIMARY KEY,
    version                 integer NOT NULL DEFAULT 1,
    company_name            text NOT NULL CHECK (length(company_name) BETWEEN 1 AND 255),
    contact_person          text,
    email                   text,
    phone                   text,
    website                 text,
    street                  text,
    postal_code             text,
    city                    text,
    country_code            text NOT NULL DEFAULT 'DE',
    territory               text NOT NULL REFERENCES territories (code),
    business_type           text CHECK (business_type IN ('RESTAURANT', 'HOTEL', 'CATERING', 'KANTINE', 'GROSSHANDEL', 'LEH', 'BILDUNG', 'GESUNDHEIT', 'SONSTIGES')),
    source                  text NOT NULL DEFAULT 'WEB_FORMULAR' CHECK (source IN ('MESSE', 'EMPFEHLUNG', 'TELEFON', 'WEB_FORMULAR', 'PARTNER', 'SONSTIGES')),
    status                  text NOT NULL DEFAULT 'REGISTERED' CHECK (status IN ('REGISTERED', 'ACTIVE', 'REMINDER', 'GRACE_PERIOD', 'QUALIFIED', 'CONVERTED', 'LOST', 'EXPIRED', 'DELETED')),
    owner_user_id           text NOT NULL,
    collaborator_user_ids   text[] NOT NULL DEFAULT '{}',
    email_consent           boolean NOT NULL DEFAULT false,
    contact_blocked         boolean NOT NULL DEFAULT false,
    registered_at           timestamptz NOT NULL,
    last_activity_at        timestamptz,
    last_follow_up_at       timestamptz,
    follow_up_count         integer NOT NULL DEFAULT 0,
    t3_follow_up_sent_at    timestamptz,
    t7_follow_up_sent_at    timestamptz,
    reminder_sent_at        timestamptz,
    grace_period_start_at   timestamptz,
    expired_at              timestamptz,
    clock_stopped_at        timestamptz,
    stop_reason             text,
    email_normalized        text,
    company_name_normalized text,
    phone_e164              text,
    website_domain          text,
    created_at              timestamptz NOT NULL,
    created_by              text NOT NULL,
    updated_at              timestamptz NOT NULL,
    updated_by              text NOT NULL
);
CREATE INDEX leads_territory_created_idx ON leads (territory, created_at DESC);
CREATE INDEX leads_owner_idx ON leads (owner_user_id);
CREATE INDEX leads_collaborators_idx ON leads USING gin (collaborator_user_ids);
CREATE INDEX leads_status_idx ON leads (status);

CREATE TABLE activities (
    id          uuid PRIMARY KEY,
    -- Orders activities of the same instant by when they were written.
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    lead_id     uuid NOT NULL REFERENCES leads (id),
    type        text NOT NULL,
    occurred_at timestamptz NOT NULL,
    description text NOT NULL DEFAULT '',
    outcome     text,
    user_id     text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX activities_lead_idx ON activities (lead_id, occurred_at DESC, seq DESC);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    lead_id     uuid,
    territory   text,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_lead_idx ON audit_log (lead_id);

ALTER TABLE territories ENABLE ROW LEVEL SECURITY;
ALTER TABLE territories FORCE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
ALTER TABLE leads FORCE ROW LEVEL SECURITY;
ALTER TABLE activities ENABLE ROW LEVEL SECURITY;
ALTER TABLE activities FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;

CREATE POLICY territory_read ON territories FOR SELECT TO freshplan_app
    USING (app_is_global() OR app_in_territory(code));

-- A user sees their own record and the users of their territories (to pick
-- collaborators); they write only their own record, from their token.
CREATE POLICY user_read ON users FOR SELECT TO freshplan_app
    USING (app_is_global() OR id = app_user_id()
           OR (app_role() IN ('MANAGER', 'SALES') AND territories && app_territories()));
CREATE POLICY user_insert ON users FOR INSERT TO freshplan_app
    WITH CHECK (app_is_global() OR id = app_user_id());
CREATE POLICY user_update ON users FOR UPDATE TO freshplan_app
    USING (app_is_global() OR id = app_user_id())
    WITH CHECK (app_is_global() OR id = app_user_id());

CREATE POLICY lead_read ON leads FOR SELECT TO freshplan_app
    USING (app_is_global()
           OR (app_role() = 'MANAGER' AND app_in_territory(territory))
           OR (app_role() = 'SALES' AND app_in_territory(territory)
               AND (owner_user_id = app_user_id() OR app_user_id() = ANY (collaborator_user_ids))));
CREATE POLICY lead_insert ON leads FOR INSERT TO freshplan_app
    WITH CHECK (app_is_global()
                OR (app_role() = 'MANAGER' AND app_in_territory(territory))
                OR (app_role() = 'SALES' AND app_in_territory(territory) AND owner_user_id = app_user_id()));
-- Collaborators may update (their activities touch the lead row); which
-- fields a SALES user may change is the service's rule.
CREATE POLICY lead_update ON leads FOR UPDATE TO freshplan_app
    USING (app_is_global()
           OR (app_role() = 'MANAGER' AND app_in_territory(territory))
           OR (app_role() = 'SALES' AND app_in_territory(territory)
               AND (owner_user_id = app_user_id() OR app_user_id() = ANY (collaborator_user_ids))))
    WITH CHECK (app_is_global()
                OR (app_role() = 'MANAGER' AND app_in_territory(territory))
                OR (app_role() = 'SALES' AND app_in_territory(territory)
                    AND (owner_user_id = app_user_id() OR app_user_id() = ANY (collaborator_user_ids))));

-- Activities follow their lead: visible and writable exactly when the lead is.
CREATE POLICY activity_read ON activities FOR SELECT TO freshplan_app
    USING (EXISTS (SELECT 1 FROM leads l WHERE l.id = lead_id));
CREATE POLICY activity_insert ON activities FOR INSERT TO freshplan_app
    WITH CHECK (app_role() IS NOT NULL AND app_user_id() IS NOT NULL
                AND EXISTS (SELECT 1 FROM leads l WHERE l.id = lead_id));

-- Anyone acting may write an audit row about a lead they see; only ADMIN
-- and managers of the territory read them.
CREATE POLICY audit_insert ON audit_log FOR INSERT TO freshplan_app
    WITH CHECK (actor = app_user_id() AND (app_is_global() OR app_in_territory(territory)));
CREATE POLICY audit_read ON audit_log FOR SELECT TO freshplan_app
    USING (app_is_global() OR (app_role() = 'MANAGER' AND app_in_territory(territory)));

-- USAGE on the schema only: freshplan_app owns nothing and creates nothing.
GRANT USAGE ON SCHEMA public TO freshplan_app;
GRANT SELECT ON territories TO freshplan_app;
GRANT SELECT, INSERT, UPDATE ON users, leads TO freshplan_app;
GRANT SELECT, INSERT ON activities, audit_log TO freshplan_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq, activities_seq_seq TO freshplan_app;
GRANT EXECUTE ON FUNCTION app_user_id(), app_role(), app_territories(), app_is_global(), app_in_territory(text) TO freshplan_app;

-- +goose Down
DROP TABLE audit_log, activities, leads, users, territories;
DROP FUNCTION app_in_territory(text), app_is_global(), app_territories(), app_role(), app_user_id();
