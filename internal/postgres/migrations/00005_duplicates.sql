-- +goose Up
-- lead_conflicts finds the non-deleted leads of a territory that hold the
-- same normalized e-mail or phone. Lead protection means a rep may learn
-- that a colleague already protects a customer — the status — but not who or
-- which lead: `visible` says whether the caller may see the lead, and only
-- then does the service reveal its id. The caller must belong to the
-- territory; the lookup itself runs as SYSTEM and the caller's role is
-- restored before the function returns.
-- +goose StatementBegin
CREATE FUNCTION lead_conflicts(p_territory text, p_email text, p_phone text, p_exclude uuid)
RETURNS TABLE (lead_id uuid, lead_status text, field text, visible boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    caller_role text := current_setting('app.role', true);
    seen uuid[];
BEGIN
    IF NOT (app_is_global() OR app_in_territory(p_territory)) OR (p_email IS NULL AND p_phone IS NULL) THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(l.id), '{}') INTO seen FROM leads l
    WHERE l.territory = p_territory AND l.status <> 'DELETED' AND l.id IS DISTINCT FROM p_exclude
      AND (l.email_normalized = p_email OR l.phone_e164 = p_phone);
    PERFORM set_config('app.role', 'SYSTEM', true);
    RETURN QUERY
        SELECT l.id, l.status,
               CASE WHEN l.email_normalized = p_email THEN 'email' ELSE 'phone' END,
               l.id = ANY (seen)
        FROM leads l
        WHERE l.territory = p_territory AND l.status <> 'DELETED' AND l.id IS DISTINCT FROM p_exclude
          AND (l.email_normalized = p_email OR l.phone_e164 = p_phone)
        ORDER BY 3, l.created_at;
    PERFORM set_config('app.role', caller_role, true);
END
$$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION lead_conflicts(text, text, text, uuid) TO freshplan_app;

-- +goose Down
DROP FUNCTION lead_conflicts(text, text, text, uuid);
