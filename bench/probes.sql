-- Lookup inputs for duplicates.pgbench and search.pgbench, drawn from the
-- leads of bench/seed_leads.sql: psql -f bench/probes.sql
-- 300 probes from DE leads: 60 % the exact normalized name, 15 % one letter
-- short, 15 % with " 2" appended, 10 % with a word in front; each with its
-- lead's city, postal code and website domain.
SELECT setseed(0.77);
DROP TABLE IF EXISTS bench_probes, bench_search_terms;
CREATE TABLE bench_probes AS
SELECT row_number() OVER () AS n,
       CASE WHEN e < 0.15 THEN left(company_name_normalized, length(company_name_normalized) - 1)
            WHEN e < 0.3 THEN company_name_normalized || ' 2'
            WHEN e < 0.4 THEN 'xq ' || company_name_normalized
            ELSE company_name_normalized END AS name,
       city, postal_code AS postal, website_domain AS domain
FROM (SELECT *, random() AS e FROM (SELECT * FROM leads WHERE territory = 'DE' AND status <> 'DELETED'
      ORDER BY random() + 0 LIMIT 300) s0) s;
-- Search texts by how common they are in the seeded leads.
CREATE TABLE bench_search_terms (q text, kind text);
INSERT INTO bench_search_terms VALUES ('restaurant', 'common'), ('gasthaus', 'common'), ('linde', 'medium'),
    ('schmidt', 'medium'), ('akropolis', 'medium'), ('berlin', 'city'), ('kassel', 'city'), ('gmail', 'email'),
    ('kontakt 4711', 'contact'), ('info.123456.', 'rare'), ('zum schwanen garten', 'phrase'), ('ba', 'short'),
    ('xyzzy', 'none');
GRANT SELECT ON bench_probes, bench_search_terms TO freshplan_app;
