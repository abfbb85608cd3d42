-- +goose Up
-- Every request stays fast at a million leads (DESIGN §1, §5).
--
-- One transaction on purpose: we are pre-production, so building the
-- indexes below without CONCURRENTLY (which locks leads against writes while
-- they build, seconds at a million rows) costs nothing, and a failed step
-- leaves no half-changed schema behind. Once leads hold production data,
-- index builds go into a goose migration marked NO TRANSACTION, with CREATE
-- INDEX CONCURRENTLY IF NOT EXISTS (SPEC §8), as 00004 does.

-- btree_gist lets a GiST index key on plain text columns next to the
-- trigrams of a name; btree_gin does the same for the territory in a GIN.
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- 1. Status changes are HOT updates: no index and no partial-index predicate
-- may read a column that a status change, an activity or a follow-up writes.
--
-- The indexes this migration replaces go first, so the table rewrite below
-- does not rebuild them. No query needs a lone index on status: the list
-- filters it on top of an index on the territory and its sort column.
DROP INDEX leads_status_idx;
DROP INDEX leads_territory_email_uidx;
DROP INDEX leads_territory_phone_uidx;
DROP INDEX leads_company_trgm_idx;
DROP INDEX leads_territory_company_city_idx;

-- Room on each page for the new row version of an update, so it can stay
-- HOT. Set first: adding the stored generated column below rewrites the
-- table, and the rewrite packs the existing rows at this fill too.
ALTER TABLE leads SET (fillfactor = 80);
-- deleted_at replaces `status <> 'DELETED'` in every predicate: DELETED is
-- terminal, so a delete is the only write that ever changes it. It is
-- generated from the row, so no writer (the service, a seeder, a fixture)
-- can set one without the other, and the existing DELETED leads get theirs
-- (the time of their last update, which was the delete) as the column is
-- added. PostgreSQL recomputes it on every update; an update that leaves
-- its value alone stays HOT, since HOT compares values, not SET lists.
ALTER TABLE leads ADD COLUMN deleted_at timestamptz
    GENERATED ALWAYS AS (CASE WHEN status = 'DELETED' THEN updated_at END) STORED;

-- The names keep "email" and "phone": the service maps a unique violation
-- to its field by the index name.
CREATE UNIQUE INDEX leads_territory_email_uidx ON leads (territory, email_normalized)
    WHERE deleted_at IS NULL AND email_normalized IS NOT NULL;
CREATE UNIQUE INDEX leads_territory_phone_uidx ON leads (territory, phone_e164)
    WHERE deleted_at IS NULL AND phone_e164 IS NOT NULL;

-- 2. Duplicate checks through indexes (SPEC §3). Measured side by side on
-- 400,000 clustered leads in one territory (bench/seed_leads.sql: names
-- from small word lists, so thousands of leads share a name; Berlin holds
-- 32,000 of them; 30,000 share gmail.com as their domain), 300 probes drawn
-- from the leads (60 % exact names, 40 % edited), each branch's query run
-- as freshplan_lookup with the threshold at 0.7, p50 / p95 in ms, on a
-- shared 2-core machine (load 3-4), two runs where they differed:
--   similar name in the same city:
--     btree (territory, lower(city)) + similarity filter         17 / 181
--     GIN btree_gin (territory, lower(city), name trgm)          10 / 18, 24 / 64
--     GIN btree_gin (territory, city, postal code, domain, name trgm)
--                                                                11 / 23
--     GiST (territory, lower(city), name trgm siglen 256), KNN  1.8 / 9, 2.9 / 16
--     GiST (territory/city, territory/postal code, name trgm siglen 256), KNN
--                                                               1.3 / 7.7, 0.95 / 5.3
--   similar name in the same postal code:
--     GIN btree_gin (territory, postal_code, name trgm)          5.9 / 13.5
--     btree (territory, postal_code) INCLUDE (name, id), index-only + filter
--                                                               0.24 / 1.4
--     GiST (territory/postal code, name trgm siglen 256), KNN   0.15 / 0.27
--     the territory/city, territory/postal code GiST above      0.54 / 1.0
--   similar name with the same website domain:
--     btree (territory, website_domain) + filter                 0.5 / 119
--     GIN btree_gin (territory, website_domain, name trgm)       6.0 / 44
--     domain as a third key of the city/postal GiST              27 / 38
--     GiST (territory/domain, name trgm siglen 256), KNN        0.30 / 8.9
--   a similar name anywhere in the territory (no city, no postal code):
--     GIN (name trgm)                                            17 / 80
--     GIN btree_gin (territory, name trgm)                       19 / 84
--     GiST (territory, name trgm siglen 256), KNN                32 / 156
--     the GIN after an exact-name lookup that may answer alone   11 / 51
-- GiST wins where a second exact field narrows the search: keyed first by
-- territory and city (or postal code, or domain), a nearest-neighbour scan
-- (ORDER BY name <-> q LIMIT n) stops after the closest n names, while a GIN
-- must read every posting list of the name's trigrams before it can rank
-- anything. One GiST keyed on both city and postal code serves both (one
-- index to write instead of two); the domain needs its own: as a third key
-- it scatters. siglen 256 keeps the inner pages' trigram signatures from
-- saturating: at siglen 64 a name like no other still took 8 ms in Berlin
-- (0.02 ms at 256) and 47 ms territory-wide; 1024 and 2024 were no faster.
-- Composite keys (territory || '/' || …) make one btree_gist column of two.
-- The territory-wide fallback has no second field: its cost follows how
-- many leads share the name's words. A GIN with btree_gin answers it, and
-- the exact name is looked up first, so a common name that already fills
-- the answer with exact matches (similarity 1) never reaches the GIN.
-- Through lead_duplicates as freshplan_app (bench/duplicates.pgbench, two
-- runs): name and city (GET /api/leads/duplicates) 1.6 / 6.8 .. 13; the
-- create's check (city, postal code, domain) 2.8 / 10; no city and no
-- postal code 12.5 / 49.
CREATE INDEX leads_territory_company_city_idx ON leads (territory, company_name_normalized, lower(city))
    WHERE deleted_at IS NULL;
CREATE INDEX leads_dedupe_place_idx ON leads USING gist ((territory || '/' || lower(city)),
    (territory || '/' || postal_code), company_name_normalized gist_trgm_ops (siglen = 256))
    WHERE deleted_at IS NULL;
CREATE INDEX leads_dedupe_domain_idx ON leads USING gist ((territory || '/' || website_domain),
    company_name_normalized gist_trgm_ops (siglen = 256))
    WHERE deleted_at IS NULL AND website_domain IS NOT NULL;
-- fastupdate off: no pending list for every search to read through, and no
-- insert that happens to flush it.
CREATE INDEX leads_dedupe_name_trgm_idx ON leads USING gin (territory, company_name_normalized gin_trgm_ops)
    WITH (fastupdate = off) WHERE deleted_at IS NULL;

-- The list's q (SPEC §2): one trigram index over the four searched columns.
-- The newline keeps trigrams from spanning two columns; the search
-- rechecks each column, so the concatenation only chooses candidates.
CREATE INDEX leads_search_trgm_idx ON leads USING gin ((company_name || E'\n' || coalesce(contact_person, '')
    || E'\n' || coalesce(email, '') || E'\n' || coalesce(city, '')) gin_trgm_ops) WITH (fastupdate = off);

-- 3. Collaborators through their GIN index: `x = ANY (array)` cannot use it,
-- `array @> ARRAY[x]` can. Same rule as before; a missing user id gives
-- ARRAY[NULL], which no array contains: fail closed.
ALTER POLICY lead_read ON leads
    USING (app_is_global()
           OR (app_role() = 'MANAGER' AND app_in_territory(territory))
           OR (app_role() = 'SALES' AND app_in_territory(territory)
               AND (owner_user_id = app_user_id() OR collaborator_user_ids @> ARRAY[app_user_id()])));
ALTER POLICY lead_update ON leads
    USING (app_is_global()
           OR (app_role() = 'MANAGER' AND app_in_territory(territory))
           OR (app_role() = 'SALES' AND app_in_territory(territory)
               AND (owner_user_id = app_user_id() OR collaborator_user_ids @> ARRAY[app_user_id()])))
    WITH CHECK (app_is_global()
                OR (app_role() = 'MANAGER' AND app_in_territory(territory))
                OR (app_role() = 'SALES' AND app_in_territory(territory)
                    AND (owner_user_id = app_user_id() OR collaborator_user_ids @> ARRAY[app_user_id()])));
ALTER POLICY event_read ON event_outbox
    USING (app_is_global()
           OR (app_role() = 'MANAGER' AND app_in_territory(territory))
           OR (app_role() = 'SALES' AND app_in_territory(territory)
               AND (owner_user_id = app_user_id() OR collaborator_user_ids @> ARRAY[app_user_id()])));

-- Whether the caller may see a lead: the rule of lead_read, for the lookup
-- functions below, which run as freshplan_lookup and so must apply it
-- themselves. As in lead_conflicts, SYSTEM (a role, not a setting) is never
-- recognised here. A plain SQL function, so the planner inlines it.
CREATE FUNCTION lead_visible(p_territory text, p_owner text, p_collaborators text[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(app_role() = 'ADMIN'
        OR (app_role() = 'MANAGER' AND app_in_territory(p_territory))
        OR (app_role() = 'SALES' AND app_in_territory(p_territory)
            AND (p_owner = app_user_id() OR p_collaborators @> ARRAY[app_user_id()])), false)
$$;
REVOKE ALL ON FUNCTION lead_visible(text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_visible(text, text, text[]) TO freshplan_lookup;

-- lead_conflicts as in 00007, on the partial unique indexes (deleted_at IS
-- NULL). Its query is lead_conflict_scan, a plain SQL function the planner
-- inlines, so a test can EXPLAIN exactly what the SECURITY DEFINER function
-- runs (see lead_duplicate_scan below).
-- +goose StatementBegin
CREATE FUNCTION lead_conflict_scan(p_territory text, p_email text, p_phone text, p_exclude uuid)
RETURNS TABLE (lead_id uuid, lead_status text, field text, visible boolean, created_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN v.visible THEN l.id END, l.status,
           CASE WHEN l.email_normalized = p_email THEN 'email' ELSE 'phone' END, v.visible, l.created_at
    FROM leads l
    CROSS JOIN LATERAL (SELECT lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids) AS visible) v
    WHERE (p_email IS NOT NULL OR p_phone IS NOT NULL)
      AND l.territory = p_territory AND l.deleted_at IS NULL AND l.id IS DISTINCT FROM p_exclude
      AND (l.email_normalized = p_email OR l.phone_e164 = p_phone)
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION lead_conflict_scan(text, text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_conflict_scan(text, text, text, uuid) TO freshplan_lookup;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lead_conflicts(p_territory text, p_email text, p_phone text, p_exclude uuid)
RETURNS TABLE (lead_id uuid, lead_status text, field text, visible boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT s.lead_id, s.lead_status, s.field, s.visible
    FROM lead_conflict_scan(p_territory, p_email, p_phone, p_exclude) s
    WHERE app_role() = 'ADMIN' OR app_in_territory(p_territory)
    ORDER BY s.field, s.created_at
$$;
-- +goose StatementEnd

-- lead_duplicate_scan is the duplicate lookup's query: one branch per rule
-- of SPEC §3, each answered by its own index and cut to p_limit, so no
-- branch reads more than it returns. Only leads the caller may see come
-- back (the filter runs inside each branch, before its limit). It is a
-- plain SQL function so that the planner inlines it: EXPLAIN of a call
-- shows the real plan (the scale tests read it as freshplan_lookup), and
-- lead_duplicates below runs exactly this query. `%` means similarity
-- >= pg_trgm.similarity_threshold, which lead_duplicates sets to 0.7.
-- A branch whose input is missing is cut off by a one-time filter on the
-- parameter before it reads anything.
-- +goose StatementBegin
CREATE FUNCTION lead_duplicate_scan(p_territory text, p_name text, p_city text, p_postal text, p_domain text,
    p_email text, p_phone text, p_exclude uuid, p_limit integer)
RETURNS TABLE (lead_id uuid, company_name text, city text, territory text, status text, owner_user_id text,
    reason text, similarity double precision, created_at timestamptz)
LANGUAGE sql STABLE AS $$
    WITH hits AS (
        (SELECT l.id, 1 AS rank, 'email' AS reason FROM leads l
         WHERE p_email IS NOT NULL AND l.territory = p_territory AND l.email_normalized = p_email
           AND l.deleted_at IS NULL AND l.id IS DISTINCT FROM p_exclude
           AND lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids))
        UNION ALL
        (SELECT l.id, 2, 'phone' FROM leads l
         WHERE p_phone IS NOT NULL AND l.territory = p_territory AND l.phone_e164 = p_phone
           AND l.deleted_at IS NULL AND l.id IS DISTINCT FROM p_exclude
           AND lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids))
        UNION ALL
        (SELECT l.id, 3, 'same_name_city' FROM leads l
         WHERE p_name IS NOT NULL AND p_city IS NOT NULL
           AND l.territory = p_territory AND l.company_name_normalized = p_name AND lower(l.city) = lower(p_city)
           AND l.deleted_at IS NULL AND l.id IS DISTINCT FROM p_exclude
           AND lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids)
         ORDER BY l.created_at LIMIT p_limit)
        UNION ALL
        (SELECT l.id, 4, 'similar_name' FROM leads l
         WHERE p_name IS NOT NULL AND p_city IS NOT NULL
           AND (l.territory || '/' || lower(l.city)) = (p_territory || '/' || lower(p_city))
           AND l.company_name_normalized % p_name
           AND l.deleted_at IS NULL AND l.id IS DISTINCT FROM p_exclude
           AND lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids)
         ORDER BY l.company_name_normalized <-> p_name LIMIT p_limit)
        UNION ALL
        (SELECT l.id, 4, 'similar_name' FROM leads l
         WHERE p_name IS NOT NULL AND p_postal IS NOT NULL
           AND (l.territory || '/' || l.postal_code) = (p_territory || '/' || p_postal)
           AND l.company_name_normalized % p_name
           AND l.deleted_at IS NULL AND l.id IS DISTINCT FROM p_exclude
           AND lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids)
         ORDER BY l.company_name_normalized <-> p_name LIMIT p_limit)
        UNION ALL
        (SELECT l.id, 4, 'similar_name' FROM leads l
         WHERE p_name IS NOT NULL AND p_domain IS NOT NULL
           AND (l.territory || '/' || l.website_domain) = (p_territory || '/' || p_domain)
           AND l.company_name_normalized % p_name
           AND l.deleted_at IS NULL AND l.website_domain IS NOT NULL AND l.id IS DISTINCT FROM p_exclude
           AND lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids)
         ORDER BY l.company_name_normalized <-> p_name LIMIT p_limit)
        UNION ALL
        -- Neither city nor postal code: a similar name anywhere in the
        -- territory, exact names first.
        (SELECT l.id, 4, 'similar_name' FROM leads l
         WHERE p_name IS NOT NULL AND p_city IS NULL AND p_postal IS NULL
           AND l.territory = p_territory AND l.company_name_normalized = p_name
           AND l.deleted_at IS NULL AND l.id IS DISTINCT FROM p_exclude
           AND lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids)
         ORDER BY l.created_at LIMIT p_limit)
        UNION ALL
        (SELECT l.id, 4, 'similar_name' FROM leads l
         WHERE p_name IS NOT NULL AND p_city IS NULL AND p_postal IS NULL
           AND l.territory = p_territory AND l.company_name_normalized % p_name
           AND l.company_name_normalized <> p_name
           AND l.deleted_at IS NULL AND l.id IS DISTINCT FROM p_exclude
           AND lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids)
           -- Exact names (similarity 1) already fill the answer: skip.
           AND (SELECT count(*) FROM (SELECT FROM leads e
                WHERE e.territory = p_territory AND e.company_name_normalized = p_name
                  AND e.deleted_at IS NULL AND e.id IS DISTINCT FROM p_exclude
                  AND lead_visible(e.territory, e.owner_user_id, e.collaborator_user_ids)
                LIMIT p_limit) x) < p_limit
         ORDER BY similarity(l.company_name_normalized, p_name) DESC LIMIT p_limit)
    ), best AS (
        SELECT DISTINCT ON (h.id) h.id, h.reason FROM hits h ORDER BY h.id, h.rank
    )
    SELECT l.id, l.company_name, l.city, l.territory, l.status, l.owner_user_id, b.reason,
           similarity(l.company_name_normalized, coalesce(p_name, ''))::float8, l.created_at
    FROM best b JOIN leads l ON l.id = b.id
    ORDER BY 8 DESC, l.created_at, l.id
    LIMIT p_limit
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION lead_duplicate_scan(text, text, text, text, text, text, text, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_duplicate_scan(text, text, text, text, text, text, text, uuid, integer) TO freshplan_lookup;

-- lead_duplicates: the possible duplicates of a lead the caller may see,
-- most similar first. Under FORCE RLS as freshplan_app the trigram
-- operators, not being LEAKPROOF, are never index conditions; here, as
-- freshplan_lookup (whose policy is `true`), they are, and the caller's
-- scope is applied explicitly, read from its settings as the policies do.
-- Only callers of the territory get anything. The threshold is set for the
-- call only, so `%` means similarity >= 0.7 whatever the session says.
-- The plan is generic and cached per connection: every branch has exactly
-- one index that fits it whatever the values, and planning the eight
-- branches afresh (what PostgreSQL's plan cache chose here, since a custom
-- plan prunes the branches without input and so looks cheaper) cost more
-- than the lookup: 5-10 ms against about 1 ms. JIT is off, as for
-- lead_search below: a lookup never reads enough rows to repay compiling.
-- +goose StatementBegin
CREATE FUNCTION lead_duplicates(p_territory text, p_name text, p_city text, p_postal text, p_domain text,
    p_email text, p_phone text, p_exclude uuid, p_limit integer)
RETURNS TABLE (lead_id uuid, company_name text, city text, territory text, status text, owner_user_id text,
    reason text, similarity double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
SET pg_trgm.similarity_threshold = 0.7
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    IF NOT coalesce(app_role() = 'ADMIN' OR app_in_territory(p_territory), false) THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT s.lead_id, s.company_name, s.city, s.territory, s.status, s.owner_user_id, s.reason, s.similarity
        FROM lead_duplicate_scan(p_territory, nullif(p_name, ''), nullif(p_city, ''), nullif(p_postal, ''),
            nullif(p_domain, ''), p_email, p_phone, p_exclude, least(greatest(p_limit, 0), 50)) s
        ORDER BY s.similarity DESC, s.created_at, s.lead_id;
END
$$;
-- +goose StatementEnd
ALTER FUNCTION lead_duplicates(text, text, text, text, text, text, text, uuid, integer) OWNER TO freshplan_lookup;
REVOKE ALL ON FUNCTION lead_duplicates(text, text, text, text, text, text, text, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_duplicates(text, text, text, text, text, text, text, uuid, integer) TO freshplan_app;

-- A text matched literally anywhere, as an ILIKE pattern.
-- +goose StatementBegin
CREATE FUNCTION lead_like_pattern(p_q text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT '%' || replace(replace(replace(p_q, '\', '\\'), '%', '\%'), '_', '\_') || '%'
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION lead_like_pattern(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_like_pattern(text) TO freshplan_lookup;

-- The list's q (SPEC §2: case-insensitive, over company, contact, e-mail
-- and city) as a search that returns ids. Two plans, each an inlined scan
-- function as above, per territory of the scope and cut to p_limit:
--   lead_search_recent walks the territory newest first (its created_at
--   index) and tests each lead, so it reads about p_limit / share leads,
--   where share is the fraction of leads that match: cheap for a common text;
--   lead_search_scan reads every match through the trigram index and sorts
--   them, about share × all leads: cheap for a rare text.
-- The planner could choose between them only with the statistics of the
-- search expression, and under row-level security it ignores statistics
-- for operators that are not LEAKPROOF (ILIKE is not): it estimated 50
-- matches for 'restaurant' among 400,000 leads where 88,000 matched, and
-- read them all (2-5 s). So lead_search measures the share on a sample of
-- about 40 pages and picks the cheaper plan itself.

-- Whether a lead's searched columns contain the pattern. PL/pgSQL, so the
-- planner never inlines it: with no index to try and a third of the leads
-- expected to match, the newest-first walk is always its plan.
-- +goose StatementBegin
CREATE FUNCTION lead_search_hit(p_company text, p_contact text, p_email text, p_city text, p_pattern text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN coalesce(p_company ILIKE p_pattern OR p_contact ILIKE p_pattern OR p_email ILIKE p_pattern
        OR p_city ILIKE p_pattern, false);
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION lead_search_hit(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_search_hit(text, text, text, text, text) TO freshplan_lookup;

-- p_status: NULL for every status but DELETED, else that status.
-- +goose StatementBegin
CREATE FUNCTION lead_search_recent(p_q text, p_status text, p_owner text, p_scope text[], p_limit integer)
RETURNS TABLE (lead_id uuid, created_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT s.id, s.created_at
    FROM unnest(p_scope) AS t(code)
    CROSS JOIN LATERAL (
        SELECT l.id, l.created_at FROM leads l
        WHERE l.territory = t.code
          AND (l.deleted_at IS NULL) = (p_status IS DISTINCT FROM 'DELETED')
          AND (p_status IS NULL OR l.status = p_status)
          AND (p_owner IS NULL OR l.owner_user_id = p_owner)
          AND lead_search_hit(l.company_name, l.contact_person, l.email, l.city, lead_like_pattern(p_q))
          AND lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids)
        ORDER BY l.created_at DESC, l.id DESC
        LIMIT p_limit) s
    ORDER BY s.created_at DESC, s.id DESC
    LIMIT p_limit
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION lead_search_recent(text, text, text, text[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_search_recent(text, text, text, text[], integer) TO freshplan_lookup;

-- The trigram plan: the concatenation matches the index expression, the
-- columns are then tested one by one (the recheck). The matches are
-- gathered first, on their own (MATERIALIZED): the planner, blind to how
-- many there are, would otherwise AND the territory's whole index into the
-- bitmap (400,000 entries, 36 ms) to save heap reads it overestimates.
-- +goose StatementBegin
CREATE FUNCTION lead_search_scan(p_q text, p_status text, p_owner text, p_scope text[], p_limit integer)
RETURNS TABLE (lead_id uuid, created_at timestamptz)
LANGUAGE sql STABLE AS $$
    WITH hits AS MATERIALIZED (
        SELECT l.id, l.created_at, l.territory, l.status, l.deleted_at, l.owner_user_id, l.collaborator_user_ids,
               l.company_name, l.contact_person, l.email, l.city
        FROM leads l
        WHERE (l.company_name || E'\n' || coalesce(l.contact_person, '') || E'\n' || coalesce(l.email, '')
               || E'\n' || coalesce(l.city, '')) ILIKE lead_like_pattern(p_q)
    )
    SELECT h.id, h.created_at FROM hits h
    WHERE h.territory = ANY (p_scope)
      AND (h.deleted_at IS NULL) = (p_status IS DISTINCT FROM 'DELETED')
      AND (p_status IS NULL OR h.status = p_status)
      AND (p_owner IS NULL OR h.owner_user_id = p_owner)
      AND (h.company_name ILIKE lead_like_pattern(p_q) OR h.contact_person ILIKE lead_like_pattern(p_q)
           OR h.email ILIKE lead_like_pattern(p_q) OR h.city ILIKE lead_like_pattern(p_q))
      AND lead_visible(h.territory, h.owner_user_id, h.collaborator_user_ids)
    ORDER BY h.created_at DESC, h.id DESC
    LIMIT p_limit
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION lead_search_scan(text, text, text, text[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_search_scan(text, text, text, text[], integer) TO freshplan_lookup;

-- A rep sees only their own and collaborating leads, a few thousand at
-- most: they are read through the owner and collaborator indexes and tested
-- one by one, whatever the text (a walk of the territory would skip the
-- other reps' leads; the trigram index would read their matches too).
-- +goose StatementBegin
CREATE FUNCTION lead_search_own(p_q text, p_status text, p_owner text, p_scope text[], p_user text, p_limit integer)
RETURNS TABLE (lead_id uuid, created_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT l.id, l.created_at FROM leads l
    WHERE (l.owner_user_id = p_user OR l.collaborator_user_ids @> ARRAY[p_user])
      AND l.territory = ANY (p_scope)
      AND (l.deleted_at IS NULL) = (p_status IS DISTINCT FROM 'DELETED')
      AND (p_status IS NULL OR l.status = p_status)
      AND (p_owner IS NULL OR l.owner_user_id = p_owner)
      AND lead_search_hit(l.company_name, l.contact_person, l.email, l.city, lead_like_pattern(p_q))
      AND lead_visible(l.territory, l.owner_user_id, l.collaborator_user_ids)
    ORDER BY l.created_at DESC, l.id DESC
    LIMIT p_limit
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION lead_search_own(text, text, text, text[], text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_search_own(text, text, text, text[], text, integer) TO freshplan_lookup;

-- The share of leads whose searched columns contain p_q, from a sample of
-- about 40 pages (the same pages each time), and the number of leads.
-- +goose StatementBegin
CREATE FUNCTION lead_search_share(p_q text, OUT share double precision, OUT leads double precision)
LANGUAGE sql STABLE AS $$
    SELECT count(*) FILTER (WHERE lead_search_hit(l.company_name, l.contact_person, l.email, l.city,
               lead_like_pattern(p_q)))::float8 / greatest(count(*), 1),
           count(*) / (p.pct / 100)
    FROM (SELECT least(100, 4000.0 / greatest(pg_relation_size('leads') / current_setting('block_size')::int, 1))::float8 AS pct) p
    CROSS JOIN LATERAL (SELECT * FROM leads TABLESAMPLE SYSTEM (p.pct) REPEATABLE (0)) l
    GROUP BY p.pct
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION lead_search_share(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_search_share(text) TO freshplan_lookup;

-- An ADMIN's scope is every territory.
GRANT SELECT ON territories TO freshplan_lookup;
CREATE POLICY territory_lookup ON territories FOR SELECT TO freshplan_lookup USING (true);

-- lead_search: ids (and creation times) of the leads the caller may see
-- whose company, contact, e-mail or city contains p_q, case-insensitively;
-- optionally of one territory, status or owner; the newest p_limit (at most
-- 10,001, enough to count "more than 10,000"), newest first. The list
-- reads the rows back through row-level security. A rep's search reads
-- their own leads; otherwise the walk is taken when it reads fewer leads
-- than the index plan: p_limit / share < share × leads.
-- Both plans hold whatever the values (the planner has no statistics to
-- weigh here anyway), so they are planned once per connection. JIT is off:
-- the walk's cost estimate (a full territory, before its LIMIT) passes
-- jit_above_cost, and compiling cost 40 ms of a 1 ms search.
-- +goose StatementBegin
CREATE FUNCTION lead_search(p_q text, p_status text, p_territory text, p_owner text, p_limit integer)
RETURNS TABLE (lead_id uuid, created_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    scope text[];
    lim integer := least(greatest(p_limit, 0), 10001);
    est record;
BEGIN
    IF coalesce(p_q, '') = '' OR lim = 0 THEN
        RETURN;
    END IF;
    IF app_role() = 'ADMIN' THEN
        SELECT array_agg(t.code ORDER BY t.code) INTO scope FROM territories t;
    ELSIF app_role() IN ('MANAGER', 'SALES') THEN
        scope := app_territories();
    END IF;
    IF p_territory IS NOT NULL THEN
        scope := CASE WHEN p_territory = ANY (scope) THEN ARRAY[p_territory] END;
    END IF;
    IF coalesce(cardinality(scope), 0) = 0 THEN
        RETURN;
    END IF;
    IF app_role() = 'SALES' THEN
        RETURN QUERY SELECT s.lead_id, s.created_at
            FROM lead_search_own(p_q, p_status, p_owner, scope, app_user_id(), lim) s
            ORDER BY s.created_at DESC, s.lead_id DESC;
        RETURN;
    END IF;
    SELECT * INTO est FROM lead_search_share(p_q);
    IF est.share * est.share * est.leads > lim THEN
        RETURN QUERY SELECT s.lead_id, s.created_at FROM lead_search_recent(p_q, p_status, p_owner, scope, lim) s
            ORDER BY s.created_at DESC, s.lead_id DESC;
    ELSE
        RETURN QUERY SELECT s.lead_id, s.created_at FROM lead_search_scan(p_q, p_status, p_owner, scope, lim) s
            ORDER BY s.created_at DESC, s.lead_id DESC;
    END IF;
END
$$;
-- +goose StatementEnd
ALTER FUNCTION lead_search(text, text, text, text, integer) OWNER TO freshplan_lookup;
REVOKE ALL ON FUNCTION lead_search(text, text, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_search(text, text, text, text, integer) TO freshplan_app;

-- +goose Down
DROP FUNCTION lead_search(text, text, text, text, integer);
DROP POLICY territory_lookup ON territories;
REVOKE SELECT ON territories FROM freshplan_lookup;
DROP FUNCTION lead_search_share(text);
DROP FUNCTION lead_search_own(text, text, text, text[], text, integer);
DROP FUNCTION lead_search_scan(text, text, text, text[], integer);
DROP FUNCTION lead_search_recent(text, text, text, text[], integer);
DROP FUNCTION lead_search_hit(text, text, text, text, text);
DROP FUNCTION lead_like_pattern(text);
DROP FUNCTION lead_duplicates(text, text, text, text, text, text, text, uuid, integer);
DROP FUNCTION lead_duplicate_scan(text, text, text, text, text, text, text, uuid, integer);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lead_conflicts(p_territory text, p_email text, p_phone text, p_exclude uuid)
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
DROP FUNCTION lead_conflict_scan(text, text, text, uuid);
DROP FUNCTION lead_visible(text, text, text[]);
ALTER POLICY event_read ON event_outbox
    USING (app_is_global()
           OR (app_role() = 'MANAGER' AND app_in_territory(territory))
           OR (app_role() = 'SALES' AND app_in_territory(territory)
               AND (owner_user_id = app_user_id() OR app_user_id() = ANY (collaborator_user_ids))));
ALTER POLICY lead_update ON leads
    USING (app_is_global()
           OR (app_role() = 'MANAGER' AND app_in_territory(territory))
           OR (app_role() = 'SALES' AND app_in_territory(territory)
               AND (owner_user_id = app_user_id() OR app_user_id() = ANY (collaborator_user_ids))))
    WITH CHECK (app_is_global()
                OR (app_role() = 'MANAGER' AND app_in_territory(territory))
                OR (app_role() = 'SALES' AND app_in_territory(territory)
                    AND (owner_user_id = app_user_id() OR app_user_id() = ANY (collaborator_user_ids))));
ALTER POLICY lead_read ON leads
    USING (app_is_global()
           OR (app_role() = 'MANAGER' AND app_in_territory(territory))
           OR (app_role() = 'SALES' AND app_in_territory(territory)
               AND (owner_user_id = app_user_id() OR app_user_id() = ANY (collaborator_user_ids))));
DROP INDEX leads_search_trgm_idx;
DROP INDEX leads_dedupe_name_trgm_idx;
DROP INDEX leads_dedupe_domain_idx;
DROP INDEX leads_dedupe_place_idx;
DROP INDEX leads_territory_company_city_idx;
CREATE INDEX leads_territory_company_city_idx ON leads (territory, company_name_normalized, lower(city));
CREATE INDEX leads_company_trgm_idx ON leads USING gin (company_name_normalized gin_trgm_ops);
DROP INDEX leads_territory_phone_uidx;
CREATE UNIQUE INDEX leads_territory_phone_uidx ON leads (territory, phone_e164)
    WHERE status <> 'DELETED' AND phone_e164 IS NOT NULL;
DROP INDEX leads_territory_email_uidx;
CREATE UNIQUE INDEX leads_territory_email_uidx ON leads (territory, email_normalized)
    WHERE status <> 'DELETED' AND email_normalized IS NOT NULL;
CREATE INDEX leads_status_idx ON leads (status);
ALTER TABLE leads RESET (fillfactor);
ALTER TABLE leads DROP COLUMN deleted_at;
