-- +goose Up
-- lead_rep_leads (00012) in PL/pgSQL: its two queries are planned once per
-- connection, not on every call (a SECURITY DEFINER SQL function is never
-- inlined and plans its body each time it runs: 2-3 ms of a rep's list,
-- which calls it twice, for the page and for the count).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lead_rep_leads() RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF coalesce(app_role() = 'SALES', false) THEN
        RETURN QUERY
            SELECT l.id FROM leads l WHERE l.owner_user_id = app_user_id() AND app_in_territory(l.territory)
            UNION
            SELECT l.id FROM leads l WHERE l.collaborator_user_ids @> ARRAY[app_user_id()] AND app_in_territory(l.territory);
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION lead_rep_leads();
-- +goose StatementBegin
CREATE FUNCTION lead_rep_leads() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT l.id FROM leads l
    WHERE app_role() = 'SALES' AND l.owner_user_id = app_user_id() AND app_in_territory(l.territory)
    UNION
    SELECT l.id FROM leads l
    WHERE app_role() = 'SALES' AND l.collaborator_user_ids @> ARRAY[app_user_id()] AND app_in_territory(l.territory)
$$;
-- +goose StatementEnd
ALTER FUNCTION lead_rep_leads() OWNER TO freshplan_lookup;
REVOKE ALL ON FUNCTION lead_rep_leads() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_rep_leads() TO freshplan_app;
