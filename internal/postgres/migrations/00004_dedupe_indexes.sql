-- +goose NO TRANSACTION
-- +goose Up
-- Built CONCURRENTLY, so a large production table stays writable (SPEC §8).
-- Uniqueness is per territory: territories are separate data spaces, so the
-- same customer may exist in DE and in CH.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS leads_territory_email_uidx
    ON leads (territory, email_normalized) WHERE status <> 'DELETED' AND email_normalized IS NOT NULL;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS leads_territory_phone_uidx
    ON leads (territory, phone_e164) WHERE status <> 'DELETED' AND phone_e164 IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_company_trgm_idx
    ON leads USING gin (company_name_normalized gin_trgm_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_territory_company_city_idx
    ON leads (territory, company_name_normalized, lower(city));

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS leads_territory_company_city_idx;
DROP INDEX CONCURRENTLY IF EXISTS leads_company_trgm_idx;
DROP INDEX CONCURRENTLY IF EXISTS leads_territory_phone_uidx;
DROP INDEX CONCURRENTLY IF EXISTS leads_territory_email_uidx;
