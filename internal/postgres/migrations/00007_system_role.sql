-- +goose Up
-- SYSTEM is a database role, not a setting. Background jobs switch to
-- freshplan_system (SET LOCAL ROLE); the policies grant the system scope by
-- current_user, so no statement running as freshplan_app can give itself
-- that scope by changing app.role. It inherits freshplan_app's privileges
-- and policies, owns nothing and cannot bypass row-level security.
-- +goose StatementBegin
DO $$
BEGIN
    CREATE ROLE freshplan_system NOLOGIN NOSUPERUSER NOBYPASSRLS INHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
-- +goose StatementEnd
GRANT freshplan_app TO freshplan_system;

-- The caller's role: SYSTEM only for freshplan_system with its settings
-- present; otherwise one of the token roles from app.role, which never
-- grants SYSTEM. Anything else is NULL, which no policy accepts.
CREATE OR REPLACE FUNCTION app_role() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT CASE
    WHEN current_user = 'freshplan_system' THEN
        CASE WHEN current_setting('app.role', true) = 'SYSTEM' AND app_user_id() IS NOT NULL THEN 'SYSTEM' END
    WHEN current_setting('app.role', true) IN ('ADMIN', 'MANAGER', 'SALES') THEN current_setting('app.role', true)
   END $$;

-- The territories travel as a text[] literal: a code can never become two
-- by containing the separator. A malformed literal is an error, not a scope.
CREATE OR REPLACE FUNCTION app_territories() RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT coalesce(nullif(current_setting('app.territories', true), '')::text[], '{}'::text[]) $$;

-- Rows are written only in the acting user's name.
DROP POLICY activity_insert ON activities;
CREATE POLICY activity_insert ON activities FOR INSERT TO freshplan_app
    WITH CHECK (app_role() IS NOT NULL AND user_id = app_user_id()
                AND EXISTS (SELECT 1 FROM leads l WHERE l.id = lead_id));

-- The outbox records who published. The owner cannot be checked the same
-- way: a manager rightly writes events of leads that others own.
ALTER TABLE event_outbox ADD COLUMN actor text;
DROP POLICY event_insert ON event_outbox;
CREATE POLICY event_insert ON event_outbox FOR INSERT TO freshplan_app
    WITH CHECK (actor = app_user_id() AND (app_is_global() OR app_in_territory(territory)));

-- Duplicate lookups need to see the leads the caller may not (a rep learns
-- that a colleague protects the customer, and its status, but not which
-- lead): a function owned by a role of its own, whose only policy lets it
-- read leads, replaces the switch of app.role to SYSTEM inside the function.
-- +goose StatementBegin
DO $$
BEGIN
    CREATE ROLE freshplan_lookup NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
-- +goose StatementEnd
-- The migrating role must be able to hand the function over.
GRANT freshplan_lookup TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO freshplan_lookup;
GRANT SELECT ON leads TO freshplan_lookup;
GRANT EXECUTE ON FUNCTION app_user_id(), app_role(), app_territories(), app_is_global(), app_in_territory(text) TO freshplan_lookup;
CREATE POLICY lead_lookup ON leads FOR SELECT TO freshplan_lookup USING (true);

DROP FUNCTION lead_conflicts(text, text, text, uuid);
-- The caller's scope is read from its settings, as the policies read it:
-- inside the function current_user is freshplan_lookup, so SYSTEM (a role,
-- not a setting) is never recognised here, and jobs do not need it. The
-- lead's id is returned only when the caller may see the lead, by the same
-- rule as the lead_read policy.
-- +goose StatementBegin
CREATE FUNCTION lead_conflicts(p_territory text, p_email text, p_phone text, p_exclude uuid)
RETURNS TABLE (lead_id uuid, lead_status text, field text, visible boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN v.visible THEN l.id END, l.status,
           CASE WHEN l.email_normalized = p_email THEN 'email' ELSE 'phone' END, v.visible
    FROM leads l
    CROSS JOIN LATERAL (SELECT app_role() = 'ADMIN'
        OR (app_role() = 'MANAGER' AND app_in_territory(l.territory))
        OR (app_role() = 'SALES' AND app_in_territory(l.territory)
            AND (l.owner_user_id = app_user_id() OR app_user_id() = ANY (l.collaborator_user_ids))) AS visible) v
    WHERE (app_role() = 'ADMIN' OR app_in_territory(p_territory))
      AND (p_email IS NOT NULL OR p_phone IS NOT NULL)
      AND l.territory = p_territory AND l.status <> 'DELETED' AND l.id IS DISTINCT FROM p_exclude
      AND (l.email_normalized = p_email OR l.phone_e164 = p_phone)
    ORDER BY 3, l.created_at
$$;
-- +goose StatementEnd
ALTER FUNCTION lead_conflicts(text, text, text, uuid) OWNER TO freshplan_lookup;
REVOKE ALL ON FUNCTION lead_conflicts(text, text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_conflicts(text, text, text, uuid) TO freshplan_app;

-- Admins count as users of every territory: a manager may make one owner
-- or collaborator of a lead of theirs, so must be able to see them.
DROP POLICY user_read ON users;
CREATE POLICY user_read ON users FOR SELECT TO freshplan_app
    USING (app_is_global() OR id = app_user_id()
           OR (app_role() IN ('MANAGER', 'SALES') AND (territories && app_territories() OR 'ADMIN' = ANY (roles))));

-- +goose Down
DROP POLICY user_read ON users;
CREATE POLICY user_read ON users FOR SELECT TO freshplan_app
    USING (app_is_global() OR id = app_user_id()
           OR (app_role() IN ('MANAGER', 'SALES') AND territories && app_territories()));
DROP FUNCTION lead_conflicts(text, text, text, uuid);
DROP POLICY lead_lookup ON leads;
REVOKE ALL ON leads FROM freshplan_lookup;
DROP POLICY event_insert ON event_outbox;
CREATE POLICY event_insert ON event_outbox FOR INSERT TO freshplan_app
    WITH CHECK (app_is_global() OR app_in_territory(territory));
ALTER TABLE event_outbox DROP COLUMN actor;
DROP POLICY activity_insert ON activities;
CREATE POLICY activity_insert ON activities FOR INSERT TO freshplan_app
    WITH CHECK (app_role() IS NOT NULL AND app_user_id() IS NOT NULL
                AND EXISTS (SELECT 1 FROM leads l WHERE l.id = lead_id));
CREATE OR REPLACE FUNCTION app_territories() RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT coalesce(string_to_array(nullif(current_setting('app.territories', true), ''), ','), '{}'::text[]) $$;
CREATE OR REPLACE FUNCTION app_role() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('app.role', true), '') $$;
-- lead_conflicts of 00005 is not restored: migrate down past 00005 and up again.
