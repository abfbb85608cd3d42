-- +goose Up
-- The duplicate lookup's exact-name branches through their btree. Since
-- pg_trgm 1.6 the trigram GiST and GIN indexes answer `=` too, and the
-- planner, estimating one row either way, took the GiST of the similar-name
-- branch for the exact one: 28 ms for a common name in Berlin (1,000,000
-- leads), where the btree (territory, name, city) takes 0.1 ms. Written as
-- `>= AND <=` (the same as `=` for text under a deterministic collation),
-- the condition is one only the btree serves. Otherwise as in 00011.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lead_duplicate_scan(p_territory text, p_name text, p_city text, p_postal text, p_domain text,
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
           AND l.territory = p_territory AND l.company_name_normalized >= p_name AND l.company_name_normalized <= p_name
           AND lower(l.city) = lower(p_city)
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
           AND l.territory = p_territory AND l.company_name_normalized >= p_name AND l.company_name_normalized <= p_name
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
                WHERE e.territory = p_territory AND e.company_name_normalized >= p_name AND e.company_name_normalized <= p_name
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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lead_duplicate_scan(p_territory text, p_name text, p_city text, p_postal text, p_domain text,
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
