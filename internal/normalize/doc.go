// Package normalize derives the deduplication keys of a lead from what a user
// typed: emailNormalized, companyNameNormalized, phoneE164 and websiteDomain
// (SPEC §3).
//
// There is exactly one implementation, and it is this package. The keys are
// computed on every create and update, compared by the partial unique indexes
// on (territory, emailNormalized) and (territory, phoneE164), used for the
// soft-duplicate check on company name and city, and recomputed for existing
// rows by a backfill. If the write path and the backfill (or two services)
// normalized even slightly differently, equal customers would get different
// keys, duplicates would slip past the unique indexes, and a backfill could
// suddenly make existing rows collide. Keeping the rules in one package of
// pure functions (no I/O, no configuration read behind the caller's back,
// deterministic for a given library version) makes the keys reproducible;
// changing a rule here means running the backfill.
//
// Every normalizer is idempotent: feeding its output back in returns the same
// value (for Phone: Phone(e164, territory) returns e164 again). The fuzz tests
// check this, together with "never panics".
//
// Blank input yields nil. Functions return *string so that callers can store
// the result directly in a nullable column.
package normalize
