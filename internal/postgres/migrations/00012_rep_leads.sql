-- +goose Up
-- A rep's list (SPEC §2) through the owner and collaborator indexes.
-- Under row-level security the list's `collaborator_user_ids @> ARRAY[…]`
-- is no index condition (arraycontains is not LEAKPROOF), so the planner
-- walked the whole territory (400,000 leads, 600 ms) to find a rep's
-- 1,100. As the lookup role, the same two conditions are index scans.
-- The ids are the caller's own, from the scope settings, and only for
-- SALES: no argument lets one ask for another rep's leads. The list reads
-- the rows back through row-level security.
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

-- +goose Down
DROP FUNCTION lead_rep_leads();
