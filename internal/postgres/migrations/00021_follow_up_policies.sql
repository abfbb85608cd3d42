-- +goose Up
-- follow_up's policies without a subquery on leads that the planner can
-- hash: OR-ed with the system's check, the EXISTS became a hashed subplan
-- over every lead (a sequential scan of leads in the plan of the system's
-- queue gauge). The system and admins see every record, a manager those of
-- their territories; a rep's check, the only one that needs the lead, is a
-- function call per row, evaluated only for a rep.
-- +goose StatementBegin
CREATE FUNCTION follow_up_lead_visible(p_lead uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce((SELECT lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids)
                     FROM leads l WHERE l.id = p_lead), false)
$$;
-- +goose StatementEnd
ALTER FUNCTION follow_up_lead_visible(uuid) OWNER TO freshplan_lookup;
REVOKE ALL ON FUNCTION follow_up_lead_visible(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION follow_up_lead_visible(uuid) TO freshplan_app;

ALTER POLICY follow_up_read ON follow_up
    USING ((SELECT app_is_global())
           OR ((SELECT app_role()) = 'MANAGER' AND territory = ANY ((SELECT app_territories())::text[]))
           OR ((SELECT app_role()) = 'SALES' AND follow_up_lead_visible(lead_id)));
ALTER POLICY follow_up_update ON follow_up
    USING ((SELECT app_is_global())
           OR ((SELECT app_role()) = 'MANAGER' AND territory = ANY ((SELECT app_territories())::text[]))
           OR ((SELECT app_role()) = 'SALES' AND follow_up_lead_visible(lead_id)));
ALTER POLICY follow_up_insert ON follow_up
    WITH CHECK ((SELECT app_is_global())
           OR ((SELECT app_role()) = 'MANAGER' AND territory = ANY ((SELECT app_territories())::text[]))
           OR ((SELECT app_role()) = 'SALES' AND follow_up_lead_visible(lead_id)));

-- +goose Down
ALTER POLICY follow_up_insert ON follow_up
    WITH CHECK ((SELECT app_role()) = 'SYSTEM' OR EXISTS (SELECT 1 FROM leads l WHERE l.id = follow_up.lead_id));
ALTER POLICY follow_up_update ON follow_up
    USING ((SELECT app_role()) = 'SYSTEM' OR EXISTS (SELECT 1 FROM leads l WHERE l.id = follow_up.lead_id));
ALTER POLICY follow_up_read ON follow_up
    USING ((SELECT app_role()) = 'SYSTEM' OR EXISTS (SELECT 1 FROM leads l WHERE l.id = follow_up.lead_id));
DROP FUNCTION follow_up_lead_visible(uuid);
