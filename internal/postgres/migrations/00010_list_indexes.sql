-- +goose Up
-- The list reads a page in the order of its sort through an index, with
-- the territory when the query names one (a manager or rep of one
-- territory, or ?territory=) and without it for admins and callers of
-- several territories, and stops after the page (and the count after
-- 10,001 rows). id breaks ties, so the keyset (sort value, id) is an index
-- range. Nullable columns sort NULLs last; each is indexed in its usual
-- direction (cities ascending, last activity newest first); the other
-- direction sorts the scope. No status change writes any of these columns,
-- so status changes stay HOT; a meaningful activity writes
-- last_activity_at, and pays one non-HOT update for its sort.
DROP INDEX IF EXISTS leads_territory_created_idx;
CREATE INDEX leads_territory_created_id_idx ON leads (territory, created_at, id);
CREATE INDEX leads_territory_registered_id_idx ON leads (territory, registered_at, id);
CREATE INDEX leads_territory_company_id_idx ON leads (territory, company_name, id);
CREATE INDEX leads_territory_city_id_idx ON leads (territory, city, id);
CREATE INDEX leads_territory_activity_id_idx ON leads (territory, last_activity_at DESC NULLS LAST, id DESC);
CREATE INDEX leads_created_id_idx ON leads (created_at, id);
CREATE INDEX leads_registered_id_idx ON leads (registered_at, id);
CREATE INDEX leads_company_id_idx ON leads (company_name, id);
CREATE INDEX leads_city_id_idx ON leads (city, id);
CREATE INDEX leads_activity_id_idx ON leads (last_activity_at DESC NULLS LAST, id DESC);

-- +goose Down
DROP INDEX leads_activity_id_idx, leads_city_id_idx, leads_company_id_idx, leads_registered_id_idx, leads_created_id_idx,
    leads_territory_activity_id_idx, leads_territory_city_id_idx, leads_territory_company_id_idx,
    leads_territory_registered_id_idx, leads_territory_created_id_idx;
CREATE INDEX leads_territory_created_idx ON leads (territory, created_at DESC);
